import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsTimestamp } from '../../common/timestamp.validator';
import { ORDER_STATES } from '../order-state';

/** An exact non-negative decimal as text ("49.99"): compared as `numeric` in SQL, never as a float. */
const DECIMAL_TEXT = /^(?:0|[1-9]\d{0,19})(?:\.\d{1,18})?$/;

export const ORDER_SORTS = ['created_at', 'amount'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];

/**
 * The filters of an order list (see order-filters.ts), shared by the operator's list and export and
 * a merchant's staff list and export. All optional; combined with AND.
 */
export class OrderSearchFiltersDto {
  /** Only orders of this application. */
  @IsOptional()
  @IsUUID()
  application_id?: string;

  @IsOptional()
  @IsIn(ORDER_STATES)
  state?: string;

  /** The order's pay way (case-insensitive): Stripe, WechatPay, Sandbox, ... */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  pay_way?: string;

  /** Orders with a payment attempt at this provider (case-insensitive): stripe, sandbox, ... */
  @IsOptional()
  @IsString()
  @MaxLength(32)
  provider?: string;

  /** Created at or after (ISO-8601 with a time zone). */
  @IsOptional()
  @IsTimestamp()
  created_from?: string;

  /** Created before (ISO-8601 with a time zone). */
  @IsOptional()
  @IsTimestamp()
  created_to?: string;

  /** The order's price (what the payer pays, in its currency) is at least this exact decimal. */
  @IsOptional()
  @Matches(DECIMAL_TEXT, { message: 'amount_min must be a non-negative decimal string, e.g. 10.50' })
  amount_min?: string;

  /** The order's price is at most this exact decimal. */
  @IsOptional()
  @Matches(DECIMAL_TEXT, { message: 'amount_max must be a non-negative decimal string, e.g. 10.50' })
  amount_max?: string;

  /** The order's id. */
  @IsOptional()
  @IsUUID()
  id?: string;

  /** The provider's id for the payment, as the order shows it. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  pay_id?: string;

  /** The merchant's own order number (merchant API orders). */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  order_no?: string;

  /** Search: the order's id, its pay_id or the merchant's order number (exact). */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  q?: string;

  /** true: orders with a payment flagged for an amount or currency mismatch; false: without one. */
  @IsOptional()
  @IsIn(['true', 'false'])
  flagged?: 'true' | 'false';
}

/** The filters with a sort (the operator's and the staff's list pages and CSV export). */
export class SortedOrderSearchDto extends OrderSearchFiltersDto {
  /** Sort key: created_at (default) or amount (the price). Ties are broken by id. */
  @IsOptional()
  @IsIn(ORDER_SORTS)
  sort?: OrderSort;

  /** Sort direction: desc (default) or asc. */
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}
