import { ApiProperty } from '@nestjs/swagger';
import { ApiDateTime, PageOf } from '../common/api-docs';

/** Any JSON value, as the audit row stored it. */
const ApiStoredValue = (description: string): PropertyDecorator =>
  ApiProperty({
    nullable: true,
    description,
    oneOf: [
      { type: 'object', additionalProperties: true },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
  });

/** One row of the audit log: who changed what, on which tenant, from what to what. */
export class AdminAuditEntryResponse {
  @ApiProperty({ example: '7', description: 'increasing with every row' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  actor_id!: string;

  @ApiProperty({ type: String, nullable: true, description: "the actor's email; null when the user is gone" })
  actor_email!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: a platform-wide change' })
  tenant_id!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the tenant's name" })
  tenant_name!: string | null;

  @ApiProperty({ example: 'tenant.suspend' })
  action!: string;

  @ApiProperty({ example: 'tenant:6f1c2a9e-...', description: '`<target_type>:<target_id>`' })
  target!: string;

  @ApiProperty({ example: 'tenant' })
  target_type!: string;

  @ApiProperty({ example: '6f1c2a9e-...' })
  target_id!: string;

  @ApiStoredValue("the value before the change as stored (the row's `before`, or `from`); null when none")
  before!: unknown;

  @ApiStoredValue("the value after the change as stored (the row's `after`, or `to`); null when none")
  after!: unknown;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'everything the row stored (reason, outcome, ...), as stored',
  })
  data!: Record<string, unknown>;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '0f8c6d3e-1b2a-4c5d-9e8f-7a6b5c4d3e2f',
    description: 'the X-Request-Id of the request that made the change; null from the CLI or older rows',
  })
  request_id!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description:
      "the client's address (as TRUST_PROXY lets the server see it); null from the CLI or older rows",
  })
  ip!: string | null;

  @ApiDateTime()
  created_at!: string;
}

export class AdminAuditPageResponse extends PageOf(AdminAuditEntryResponse) {}

export const ATTENTION_KINDS = [
  'payment_flagged',
  'x402_settle_unknown',
  'refund_pending',
  'notification_failing',
] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** Something an operator should look at, with the order it belongs to. */
export class AttentionItemResponse {
  @ApiProperty({
    enum: ATTENTION_KINDS,
    description:
      'payment_flagged: a confirmation disagreed with the attempt (amount or currency) and no operator resolved it; ' +
      'x402_settle_unknown: an x402 settle whose outcome is unknown (the money may have moved); ' +
      'refund_pending: a refund pending for more than an hour; ' +
      'notification_failing: a merchant notification given up, or not delivered after 3 attempts or more',
  })
  kind!: AttentionKind;

  @ApiProperty({ format: 'uuid', description: 'the payment, refund or notification' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ format: 'uuid' })
  order_id!: string;

  @ApiProperty({
    example: '/api/v1/admin/orders/6f1c2a9e-.../timeline',
    description:
      "the order's timeline: on the admin API for operators, GET /api/v1/orders/:id/timeline for staff",
  })
  order_url!: string;

  @ApiProperty({ example: 'amount mismatch: paid 1.00, expected 49.99' })
  reason!: string;

  @ApiDateTime({ description: 'since when it needs attention' })
  since!: string;
}

/** The needs-attention queue, oldest first. */
export class AttentionListResponse {
  @ApiProperty({ type: [AttentionItemResponse] })
  data!: AttentionItemResponse[];

  @ApiProperty({ description: 'more items wait beyond `limit`' })
  has_more!: boolean;
}
