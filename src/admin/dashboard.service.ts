import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CURRENCY_SCALE, formatAmount, Money } from '../common/money';
import { DashboardErrors } from './dashboard.errors';
import type {
  DashboardDay,
  DashboardFigures,
  DashboardResponse,
  DashboardVolume,
} from './dashboard.response';

/** The longest range, in UTC days (both ends included). */
export const DASHBOARD_MAX_DAYS = 366;
/** The range when neither end is given: the last 30 UTC days, today included. */
export const DASHBOARD_DEFAULT_DAYS = 30;

const DAY_MS = 86_400_000;
const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** The range asked for, both ends included, with the defaults applied and its length checked. */
export function dashboardRange(from?: string, to?: string, now = new Date()): { from: string; to: string } {
  const toDay = to ?? dayText(now.getTime());
  const fromDay = from ?? dayText(dayMs(toDay) - (DASHBOARD_DEFAULT_DAYS - 1) * DAY_MS);
  if (fromDay > toDay)
    throw DashboardErrors.invalid_range(`from (${fromDay}) is after to (${toDay})`, { field: 'from' });
  const days = (dayMs(toDay) - dayMs(fromDay)) / DAY_MS + 1;
  if (days > DASHBOARD_MAX_DAYS)
    throw DashboardErrors.range_too_long(
      `the range is ${days} days; at most ${DASHBOARD_MAX_DAYS} days (from ${fromDay} to ${toDay})`,
      { field: 'from', max_days: DASHBOARD_MAX_DAYS },
    );
  return { from: fromDay, to: toDay };
}

/** An amount at its currency's scale ("49.990000000000000000" USD -> "49.99"). */
const amountText = (currency: string, d: Money): string =>
  CURRENCY_SCALE[currency] !== undefined ? formatAmount(currency, d) : d.toFixed();

/** paid / orders with 4 places, half up, exact ("0.8571"); null without orders. */
const successRate = (orders: number, paid: number): string | null =>
  orders === 0 ? null : new Money(paid).div(orders).toFixed(4, Money.ROUND_HALF_UP);

interface Row {
  /** GROUPING(day, provider, currency): 0 per day, provider and currency; 1 per day and provider; 7 all. */
  g: number;
  day: string | null;
  provider: string | null;
  currency: string | null;
  orders: string;
  paid_orders: string;
  paid_volume: string | null;
  median_seconds: string | null;
}

/**
 * The dashboard: per UTC day (of creation) and provider (the order's pay way), orders, paid orders,
 * success rate, median time to pay and paid volume per currency, and the same over the whole range.
 * One SQL aggregate over the orders created in the range: a range scan on created_at
 * (ix_orders_created; ix_orders_tenant_created for one tenant), grouping sets (day, provider,
 * currency) -> (day, provider) -> () read from one sort. Money is summed as numeric in SQL and added
 * up per currency with Money here: never a float.
 */
@Injectable()
export class DashboardService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Figures of one tenant's orders, or of every tenant's when tenantId is undefined. */
  async figures(q: { from?: string; to?: string; tenantId?: string }): Promise<DashboardResponse> {
    const range = dashboardRange(q.from, q.to);
    const params: unknown[] = [`${range.from}T00:00:00Z`, `${dayText(dayMs(range.to) + DAY_MS)}T00:00:00Z`];
    let tenantFilter = '';
    if (q.tenantId !== undefined) {
      params.push(q.tenantId);
      tenantFilter = 'AND tenant_id = $3';
    }
    const rows = await this.db.transaction(async (m) => {
      // The median sorts every paid order of the range: in memory rather than spilled to disk at
      // the default 4MB; and no JIT compilation (tens of ms) for a query that runs in well under a second.
      await m.query(`SET LOCAL work_mem = '64MB'`);
      await m.query(`SET LOCAL jit = off`);
      return m.query<Row[]>(
        `SELECT GROUPING(o.day, o.provider, o.currency) AS g,
                to_char(o.day, 'YYYY-MM-DD') AS day, o.provider, o.currency,
                count(*) AS orders, count(o.paid_at) AS paid_orders,
                (sum(o.price) FILTER (WHERE o.paid_at IS NOT NULL))::text AS paid_volume,
                round(percentile_cont(0.5) WITHIN GROUP (
                        ORDER BY extract(epoch FROM o.paid_at - o.created_at)::float8)::numeric, 3
                     )::text AS median_seconds
           FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, pay_way AS provider, currency,
                        price, paid_at, created_at
                   FROM orders
                  WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz ${tenantFilter}) o
          GROUP BY GROUPING SETS ((o.day, o.provider, o.currency), (o.day, o.provider), ())`,
        params,
      );
    });

    const figures = (r: Row | undefined): Omit<DashboardFigures, 'paid_volume'> => {
      const orders = r ? Number(r.orders) : 0;
      const paid = r ? Number(r.paid_orders) : 0;
      return {
        orders,
        paid_orders: paid,
        success_rate: successRate(orders, paid),
        median_seconds_to_pay: r && r.median_seconds !== null ? Number(r.median_seconds) : null,
      };
    };
    const key = (day: string | null, provider: string | null): string => `${day}\u0000${provider}`;
    const volumes = new Map<string, DashboardVolume[]>();
    const totalVolume = new Map<string, Money>();
    for (const r of rows) {
      if (Number(r.g) !== 0 || r.paid_volume === null || r.currency === null) continue;
      const sum = new Money(r.paid_volume);
      const k = key(r.day, r.provider);
      const list = volumes.get(k) ?? [];
      list.push({ currency: r.currency, amount: amountText(r.currency, sum) });
      volumes.set(k, list);
      totalVolume.set(r.currency, (totalVolume.get(r.currency) ?? new Money(0)).plus(sum));
    }
    const byCurrency = (a: DashboardVolume, b: DashboardVolume): number =>
      a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;

    const days: DashboardDay[] = rows
      .filter((r) => Number(r.g) === 1 && r.day !== null && r.provider !== null)
      .map((r) => ({
        day: r.day as string,
        provider: r.provider as string,
        ...figures(r),
        paid_volume: (volumes.get(key(r.day, r.provider)) ?? []).sort(byCurrency),
      }))
      .sort((a, b) =>
        a.day !== b.day
          ? a.day < b.day
            ? -1
            : 1
          : a.provider < b.provider
            ? -1
            : a.provider > b.provider
              ? 1
              : 0,
      );
    const total = rows.find((r) => Number(r.g) === 7);
    return {
      from: range.from,
      to: range.to,
      totals: {
        ...figures(total),
        paid_volume: [...totalVolume.entries()]
          .map(([currency, sum]) => ({ currency, amount: amountText(currency, sum) }))
          .sort(byCurrency),
      },
      days,
    };
  }
}
