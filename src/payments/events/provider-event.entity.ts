import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type ProviderEventOutcome = 'applied' | 'ignored' | 'flagged';

/** The provider-neutral reading of a verified event: what a replay applies again. */
export interface VerifiedFields {
  outcome: 'succeeded' | 'failed' | 'expired' | 'pending';
  provider_ref: string;
  amount?: string;
  currency?: string;
}

/**
 * An inbound provider notification, verified and recorded once per (tenant, provider, event_id).
 * Per tenant: event ids are chosen by whoever signs the callback, and a tenant holding its own
 * signing secret must not be able to claim another tenant's event id first.
 */
@Entity({ name: 'provider_events' })
@Index('uq_provider_events_event', ['tenantId', 'provider', 'eventId'], { unique: true })
@Index('ix_provider_events_payment', ['paymentId'])
export class ProviderEvent {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column({ type: 'text' })
  provider!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column('uuid', { name: 'payment_id', nullable: true })
  paymentId!: string | null;

  @Column({ type: 'text' })
  outcome!: ProviderEventOutcome;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ type: 'jsonb' })
  payload!: object;

  /** Null for events recorded before it was kept (they cannot be replayed). */
  @Column({ type: 'jsonb', nullable: true })
  verified!: VerifiedFields | null;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;
}
