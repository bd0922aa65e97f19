import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One rate-limit window (fixed window per key), shared by every paymux process through the database. */
@Entity({ name: 'rate_limits' })
@Index('ix_rate_limits_expires', ['expiresAt'])
export class RateLimit {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'integer' })
  hits!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
