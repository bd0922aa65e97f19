/**
 * The filters of an order list (the operator's list and export, a merchant's staff list, export and
 * GET /api/v1/orders), as SQL conditions on `orders o`: one place, so every list filters the same way.
 * Values go in as parameters named by `p`; the caller validated them (exact decimal text, timestamps).
 */
export interface OrderSearchFilters {
  tenant_id?: string;
  application_id?: string;
  id?: string;
  state?: string;
  /** The order's pay way, case-insensitive. */
  pay_way?: string;
  /** Orders with an attempt at this provider, case-insensitive. */
  provider?: string;
  created_from?: string;
  created_to?: string;
  /** The price is at least / at most this exact decimal. */
  amount_min?: string;
  amount_max?: string;
  pay_id?: string;
  order_no?: string;
  /** The order's id, its pay_id or its merchant order number. */
  q?: string;
  flagged?: 'true' | 'false';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The conditions (to be joined with AND) for `f` on the alias `o`; `p` names a parameter for a value. */
export function orderFilterConditions(f: OrderSearchFilters, p: (value: unknown) => string): string[] {
  const where: string[] = [];
  if (f.tenant_id) where.push(`o.tenant_id = ${p(f.tenant_id)}`);
  if (f.application_id) where.push(`o.application_id = ${p(f.application_id)}`);
  if (f.id) where.push(`o.id = ${p(f.id)}`);
  if (f.state) where.push(`o.state = ${p(f.state)}`);
  if (f.pay_way) where.push(`lower(o.pay_way) = lower(${p(f.pay_way)})`);
  if (f.provider)
    where.push(
      `EXISTS (SELECT 1 FROM payments pp WHERE pp.tenant_id = o.tenant_id AND pp.order_id = o.id AND lower(pp.provider) = lower(${p(f.provider)}))`,
    );
  if (f.created_from) where.push(`o.created_at >= ${p(f.created_from)}::timestamptz`);
  if (f.created_to) where.push(`o.created_at < ${p(f.created_to)}::timestamptz`);
  if (f.amount_min) where.push(`o.price >= ${p(f.amount_min)}::numeric`);
  if (f.amount_max) where.push(`o.price <= ${p(f.amount_max)}::numeric`);
  if (f.pay_id) where.push(`o.pay_id = ${p(f.pay_id)}`);
  if (f.order_no) where.push(`o.merchant_order_no = ${p(f.order_no)}`);
  if (f.q) {
    // The id only when q is a uuid (a uuid comparison with other text would be an SQL error); one
    // parameter per use, as each has its own type.
    const id = UUID.test(f.q) ? `o.id = ${p(f.q)}::uuid OR ` : '';
    where.push(`(${id}o.pay_id = ${p(f.q)} OR o.merchant_order_no = ${p(f.q)})`);
  }
  if (f.flagged !== undefined)
    where.push(
      `${f.flagged === 'true' ? '' : 'NOT '}EXISTS (SELECT 1 FROM payments fp WHERE fp.order_id = o.id AND fp.flag_reason IS NOT NULL)`,
    );
  return where;
}
