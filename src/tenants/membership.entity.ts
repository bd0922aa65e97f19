import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const TENANT_ROLES = ['owner', 'admin', 'member'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

@Entity({ name: 'memberships' })
@Index('ix_memberships_user', ['userId'])
export class Membership {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @PrimaryColumn('uuid', { name: 'user_id' })
  userId!: string;

  @Column({ type: 'text' })
  role!: TenantRole;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
