import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import { PlatformAdminOnly } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-docs';
import { UuidParam } from '../common/uuid-param';
import {
  AdminOrderPageResponse,
  AdminOrderResponse,
  AdminOrderTimelineResponse,
} from './admin-orders.response';
import { AdminOrdersService, OrderScope } from './admin-orders.service';
import { csvRow } from './csv';
import { AdminOrdersExportQueryDto, AdminOrdersQueryDto } from './dto/admin-orders.dto';

/** The CSV export's columns, in order: fields of the list's order. */
export const ORDER_CSV_COLUMNS: readonly (keyof AdminOrderResponse)[] = [
  'id',
  'tenant_id',
  'created_at',
  'state',
  'pay_way',
  'pay_id',
  'merchant_order_no',
  'product_name',
  'currency',
  'price',
  'amount',
  'discount',
  'remaining_amount',
  'charge_amount',
  'charge_currency',
  'fx_rate',
  'flagged',
  'application_id',
  'package_id',
  'user_id',
  'paid_at',
  'finished_at',
  'expires_at',
  'updated_at',
];

/**
 * The export's CSV text, row by row: a header row, then every matching order in `scope` (read in
 * batches, never all in memory). The operator's and the staff's export.csv and the operator CLI's
 * `orders export` all write this.
 */
export async function* orderCsvRows(
  orders: AdminOrdersService,
  scope: OrderScope,
  q: AdminOrdersExportQueryDto,
): AsyncGenerator<string> {
  yield csvRow(ORDER_CSV_COLUMNS);
  for await (const o of orders.each(scope, q)) yield csvRow(ORDER_CSV_COLUMNS.map((c) => o[c]));
}

/** The orders in `scope` matching `q` as a streamed CSV download. */
export function ordersCsv(
  orders: AdminOrdersService,
  scope: OrderScope,
  q: AdminOrdersExportQueryDto,
): StreamableFile {
  return new StreamableFile(Readable.from(orderCsvRows(orders, scope, q)), {
    type: 'text/csv; charset=utf-8',
    disposition: 'attachment; filename="orders.csv"',
  });
}

/** Orders of every tenant, for platform operators: read (the actions are in admin-order-actions). */
@ApiTags('Admin')
@ApiBearerAuth()
@ApiErrorResponses([400, 401, 403])
@PlatformAdminOnly()
@Controller('api/v1/admin/orders')
export class AdminOrdersController {
  constructor(private readonly orders: AdminOrdersService) {}

  /** Orders across tenants: filters, sort (ties broken by id) and cursor pages. Money as exact decimal text. */
  @Get()
  @ApiOkResponse({ type: AdminOrderPageResponse })
  list(@Query() q: AdminOrdersQueryDto): Promise<AdminOrderPageResponse> {
    const { limit, cursor, ...filters } = q;
    return this.orders.list({}, filters, limit ?? 50, cursor);
  }

  /**
   * The list's orders (same filters and sort) as CSV, streamed as it is read in batches: a header
   * row, amounts as exact decimal text, RFC 4180 quoting, formula-safe cells.
   */
  @Get('export.csv')
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'CSV with a header row', schema: { type: 'string' } })
  export(@Query() q: AdminOrdersExportQueryDto): StreamableFile {
    return ordersCsv(this.orders, {}, q);
  }

  /**
   * Everything about one order in one call: transitions, payment attempts, provider events, ledger
   * entries, refunds, notifications with every delivery attempt, and audit entries.
   */
  @Get(':id/timeline')
  @ApiOkResponse({ type: AdminOrderTimelineResponse })
  @ApiErrorResponses([404])
  timeline(@UuidParam() id: string): Promise<AdminOrderTimelineResponse> {
    return this.orders.timeline({}, id);
  }
}
