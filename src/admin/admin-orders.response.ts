import { ApiProperty, OmitType } from '@nestjs/swagger';
import { ApiDateTime, PageOf } from '../common/api-docs';
import { OrderResponse } from '../orders/order.response';

/** Money on the admin API: exact decimal text, never a float. */
const ApiDecimal = (example: string, description?: string, nullable = false): PropertyDecorator =>
  ApiProperty({
    type: String,
    example,
    ...(nullable ? { nullable: true } : {}),
    description: description ? `exact decimal text; ${description}` : 'exact decimal text',
  });

/**
 * An order of any tenant as a platform operator sees it: the platform API's order with its tenant,
 * the merchant's order number, whether a payment was flagged, and money as exact decimal strings.
 */
export class AdminOrderResponse extends OmitType(OrderResponse, [
  'amount',
  'price',
  'discount',
  'remaining_amount',
  'charge_amount',
  'fx_rate',
] as const) {
  @ApiProperty({ format: 'uuid' })
  tenant_id!: string;

  @ApiProperty({ type: String, nullable: true, description: "merchant API orders: the merchant's order_no" })
  merchant_order_no!: string | null;

  @ApiProperty({ type: String, nullable: true })
  product_name!: string | null;

  @ApiDecimal('500', 'credits bought')
  amount!: string;

  @ApiDecimal('49.99', 'what the payer pays, in `currency`')
  price!: string;

  @ApiDecimal('1')
  discount!: string;

  @ApiDecimal('500', 'credits not yet consumed')
  remaining_amount!: string;

  @ApiDecimal('355.15', 'what the provider charges in `charge_currency`', true)
  charge_amount!: string | null;

  @ApiDecimal('7.1043', '1 `currency` = fx_rate `charge_currency`', true)
  fx_rate!: string | null;

  @ApiProperty({ description: 'a payment of this order was flagged for an amount or currency mismatch' })
  flagged!: boolean;
}

export class AdminOrderPageResponse extends PageOf(AdminOrderResponse) {}

/** One state change of the order. */
export class TimelineTransition {
  @ApiProperty({ example: '42' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Pending' })
  from_state!: string | null;

  @ApiProperty({ example: 'Paid' })
  to_state!: string;

  @ApiProperty({ example: 'payment confirmed' })
  reason!: string;

  @ApiDateTime()
  created_at!: string;
}

/** One payment attempt at a provider. */
export class TimelinePayment {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'sandbox' })
  provider!: string;

  @ApiProperty({ example: 'Sandbox' })
  method!: string;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed', 'expired', 'cancelled'] })
  status!: string;

  @ApiDecimal('49.99', 'what this attempt charges, in `currency`')
  amount!: string;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiDecimal('7.1043', '1 order currency = fx_rate `currency` when it charges another currency', true)
  fx_rate!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "the provider's id for the payment" })
  provider_ref!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'what the payer is shown (redirect, QR code, address, ...)',
  })
  action!: Record<string, unknown> | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'routing details' })
  route!: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, description: 'why a confirmation was not credited' })
  flag_reason!: string | null;

  @ApiProperty()
  flagged!: boolean;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

/** A verified provider notification about one of the order's payments. */
export class TimelineProviderEvent {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'sandbox' })
  provider!: string;

  @ApiProperty()
  event_id!: string;

  @ApiProperty({ example: 'payment.succeeded' })
  type!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  payment_id!: string | null;

  @ApiProperty({ enum: ['applied', 'ignored', 'flagged'], description: 'the verified outcome' })
  outcome!: string;

  @ApiProperty({ type: String, nullable: true })
  note!: string | null;

  @ApiProperty({ description: 'the confirmation disagreed with the attempt (amount or currency)' })
  mismatch!: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'the raw payload as received' })
  payload!: Record<string, unknown>;

  @ApiDateTime()
  received_at!: string;
}

/** A movement of the application's credits caused by the order (its credit, a refund's debit). */
export class TimelineLedgerEntry {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  application_id!: string;

  @ApiProperty({ enum: ['credit', 'usage', 'refund'] })
  kind!: string;

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiDecimal('500', 'signed: positive credits, negative debits')
  amount!: string;

  @ApiDecimal('1500')
  balance_after!: string;

  @ApiDateTime()
  created_at!: string;
}

export class TimelineRefund {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  payment_id!: string;

  @ApiProperty()
  provider!: string;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] })
  status!: string;

  @ApiDecimal('10.00', "in the order's currency")
  amount!: string;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiDecimal('10.00', "what the provider gives back, in the payment's currency")
  charge_amount!: string;

  @ApiProperty({ example: 'USD' })
  charge_currency!: string;

  @ApiDecimal('100', 'credits taken back')
  credits!: string;

  @ApiProperty()
  reason!: string;

  @ApiProperty({ description: 'a platform admin allowed the balance to go below zero' })
  forced!: boolean;

  @ApiProperty({ type: String, nullable: true })
  provider_refund_id!: string | null;

  @ApiProperty({ type: String, nullable: true })
  failure_message!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  created_by!: string | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

/** One delivery attempt of a notification. */
export class TimelineDeliveryAttempt {
  @ApiProperty({ example: 1 })
  attempt!: number;

  @ApiDateTime()
  attempted_at!: string;

  @ApiProperty({ type: Number, nullable: true, description: "the receiver's HTTP status; null: no answer" })
  status_code!: number | null;

  @ApiProperty({ example: 120 })
  latency_ms!: number;

  @ApiProperty({ type: String, nullable: true })
  body_excerpt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  error!: string | null;

  @ApiProperty()
  success!: boolean;
}

/** A notification of a state change to the merchant's notify_url, with every delivery attempt. */
export class TimelineNotification {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Finished', description: 'the state it announces' })
  event!: string;

  @ApiProperty()
  url!: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  status!: string;

  @ApiProperty({ description: 'the exact JSON body sent' })
  body!: string;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiDateTime({ nullable: true })
  next_attempt_at!: string | null;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime({ nullable: true })
  delivered_at!: string | null;

  @ApiProperty({ type: [TimelineDeliveryAttempt] })
  deliveries!: TimelineDeliveryAttempt[];
}

/** An audit row about the order, one of its payments or one of its refunds. */
export class TimelineAuditEntry {
  @ApiProperty({ example: '7' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  actor_id!: string;

  @ApiProperty({ example: 'payment.resolve' })
  action!: string;

  @ApiProperty({ example: 'payment:6f1c...' })
  target!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;

  @ApiDateTime()
  created_at!: string;
}

/** Everything that happened to an order, each list oldest first. */
export class AdminOrderTimelineResponse {
  @ApiProperty({ type: AdminOrderResponse })
  order!: AdminOrderResponse;

  @ApiProperty({ type: [TimelineTransition] })
  transitions!: TimelineTransition[];

  @ApiProperty({ type: [TimelinePayment] })
  payments!: TimelinePayment[];

  @ApiProperty({ type: [TimelineProviderEvent] })
  provider_events!: TimelineProviderEvent[];

  @ApiProperty({ type: [TimelineLedgerEntry] })
  ledger_entries!: TimelineLedgerEntry[];

  @ApiProperty({ type: [TimelineRefund] })
  refunds!: TimelineRefund[];

  @ApiProperty({ type: [TimelineNotification] })
  notifications!: TimelineNotification[];

  @ApiProperty({ type: [TimelineAuditEntry] })
  audit_entries!: TimelineAuditEntry[];
}
