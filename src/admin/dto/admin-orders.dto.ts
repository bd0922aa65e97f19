import { IntersectionType, OmitType } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import { ListQueryDto } from '../../common/list-query.dto';
import { ORDER_SORTS, OrderSort, SortedOrderSearchDto } from '../../orders/dto/order-search.dto';

export { IsTimestamp } from '../../common/timestamp.validator';

export const ADMIN_ORDER_SORTS = ORDER_SORTS;
export type AdminOrderSort = OrderSort;

/** A merchant's staff: the list's filters and sort, with a page (`limit`, `cursor`: see ListQueryDto). */
export class StaffOrdersQueryDto extends IntersectionType(ListQueryDto, SortedOrderSearchDto) {}

/** The staff's CSV export: the list's filters and sort, without a page. */
export class StaffOrdersExportQueryDto extends SortedOrderSearchDto {}

/** The cross-tenant order list: filters, sort and a page (`limit`, `cursor`: see ListQueryDto). */
export class AdminOrdersQueryDto extends StaffOrdersQueryDto {
  /** Only this tenant's orders. */
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

/** The CSV export: the list's filters and sort, without a page. */
export class AdminOrdersExportQueryDto extends OmitType(AdminOrdersQueryDto, ['limit', 'cursor'] as const) {}
