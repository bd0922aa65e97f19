/**
 * Routes agreed in /work/briefs/contracts.md that this branch's openapi.json does not describe yet
 * (other helpers build them). Typed by hand here, in one place; once openapi.json has them, switch the
 * callers to the typed `api` client and delete the entries.
 */
import { request } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type AdminOrder = S['AdminOrderResponse'];
export type Timeline = S['AdminOrderTimelineResponse'];
export type Refund = S['RefundResponse'];
export type Notification = S['NotificationResponse'];
export type AttentionList = S['AttentionListResponse'];

export interface ReconcileResult {
  order_id: string;
  state: string;
  payment_status: string | null;
  outcome: 'paid' | 'failed' | 'pending' | 'unchanged';
  detail: string | null;
}

export interface VolumeAmount {
  currency: string;
  amount: string;
}
export interface DashboardFigures {
  orders: number;
  paid_orders: number;
  success_rate: string | null;
  median_seconds_to_pay: number | null;
  paid_volume: VolumeAmount[];
}
export interface Dashboard {
  from: string;
  to: string;
  totals: DashboardFigures;
  days: (DashboardFigures & { day: string; provider: string })[];
}

/** Operators act on any tenant's order (admin routes); staff on their own tenant's (staff twins). */
const base = (operator: boolean): string => (operator ? '/api/v1/admin' : '/api/v1');

export const extra = {
  refund: (
    operator: boolean,
    orderId: string,
    body: { amount?: string; reason: string; force?: boolean },
    idempotencyKey: string,
  ) =>
    request<Refund>('POST', `${base(operator)}/orders/${encodeURIComponent(orderId)}/refunds`, {
      body,
      headers: { 'Idempotency-Key': idempotencyKey },
    }),
  cancel: (operator: boolean, orderId: string) =>
    request<unknown>('POST', `${base(operator)}/orders/${encodeURIComponent(orderId)}/cancel`),
  reconcile: (orderId: string) =>
    request<ReconcileResult>('POST', `/api/v1/admin/orders/${encodeURIComponent(orderId)}/reconcile`),
  resend: (operator: boolean, notificationId: string) =>
    request<Notification>(
      'POST',
      `${base(operator)}/notifications/${encodeURIComponent(notificationId)}/resend`,
    ),
  timeline: (operator: boolean, orderId: string) =>
    request<Timeline>('GET', `${base(operator)}/orders/${encodeURIComponent(orderId)}/timeline`),
  attention: (operator: boolean) => request<AttentionList>('GET', `${base(operator)}/attention`),
  /** Staff orders with the contract's filters (q, created_from, … are additive to GET /api/v1/orders). */
  staffOrders: (query: Record<string, string | undefined>) =>
    request<{ data: AdminOrder[]; has_more: boolean; next_cursor: string | null }>('GET', '/api/v1/orders', {
      query,
    }),
  dashboard: (operator: boolean, query: { from?: string; to?: string; tenant_id?: string }) =>
    request<Dashboard>('GET', `${base(operator)}/dashboard`, { query }),
};

export const ordersExportUrl = (operator: boolean, query: Record<string, string | undefined>): string => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== '' && k !== 'cursor') params.set(k, v);
  const qs = params.toString();
  return `${base(operator)}/orders/export.csv${qs ? `?${qs}` : ''}`;
};
