import { OmitType } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { ListQueryDto } from '../../common/list-query.dto';
import { ORDER_STATES } from '../../orders/order-state';

/** An exact non-negative decimal as text ("49.99"): compared as `numeric` in SQL, never as a float. */
const DECIMAL_TEXT = /^(?:0|[1-9]\d{0,19})(?:\.\d{1,18})?$/;

/**
 * An ISO-8601 timestamp with a date, time and offset (`2026-01-31T10:00:00Z`) that PostgreSQL can
 * hold (years 1 to 9999): anything else would be a 500 in SQL.
 */
export function IsTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name: 'isTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must be an ISO-8601 timestamp with a time zone, e.g. 2026-01-31T10:00:00Z`,
        ...options,
      },
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string' || value.length > 40) return false;
          if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/.test(value))
            return false;
          const d = new Date(value);
          if (Number.isNaN(d.getTime())) return false;
          const year = d.getUTCFullYear();
          return year >= 1 && year <= 9999;
        },
      },
    });
  };
}

export const ADMIN_ORDER_SORTS = ['created_at', 'amount'] as const;
export type AdminOrderSort = (typeof ADMIN_ORDER_SORTS)[number];

/** The cross-tenant order list: filters, sort and a page (`limit`, `cursor`: see ListQueryDto). */
export class AdminOrdersQueryDto extends ListQueryDto {
  /** Only this tenant's orders. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;

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

  /** true: orders with a payment flagged for an amount or currency mismatch; false: without one. */
  @IsOptional()
  @IsIn(['true', 'false'])
  flagged?: 'true' | 'false';

  /** Sort key: created_at (default) or amount (the price). Ties are broken by id. */
  @IsOptional()
  @IsIn(ADMIN_ORDER_SORTS)
  sort?: AdminOrderSort;

  /** Sort direction: desc (default) or asc. */
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

/** The CSV export: the list's filters and sort, without a page. */
export class AdminOrdersExportQueryDto extends OmitType(AdminOrdersQueryDto, ['limit', 'cursor'] as const) {}
