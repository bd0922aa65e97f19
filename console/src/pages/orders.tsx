import { Anchor, Button, Checkbox, Grid, Group, Paper, Select, Stack, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components, operations } from '../api/schema';
import { useSession } from '../api/session';
import { CursorPager, DataTable, useCursorPages } from '../components/data-table';
import { ShortId, StateBadge, When } from '../components/format';
import { Money } from '../components/money';
import { QueryState } from '../components/states';

/** The filters both order lists take (the staff list's query; the operators' adds tenant_id and sort). */
type OrderQuery = NonNullable<operations['OrdersController_list']['parameters']['query']>;
type OrderState = NonNullable<OrderQuery['state']>;
/** Operators list AdminOrderResponse (decimal strings), staff OrderResponse (JSON numbers). */
type Row = components['schemas']['AdminOrderResponse'] | components['schemas']['OrderResponse'];

const STATES: OrderState[] = [
  'Pending',
  'Paid',
  'Finished',
  'PartiallyRefunded',
  'Refunded',
  'Expired',
  'Cancelled',
  'Failed',
];
const PAY_WAYS = ['Sandbox', 'Stripe', 'AliPay', 'WechatPay', 'PayPal', 'Alchemy', 'TokenPay', 'X402'];

interface Filters {
  state: string;
  pay_way: string;
  created_from: string;
  created_to: string;
  amount_min: string;
  amount_max: string;
  search: string;
  /** Operators: which field the search names (the admin API filters each separately). */
  search_by: 'order_no' | 'pay_id' | 'id';
  flagged: boolean;
}

const EMPTY: Filters = {
  state: '',
  pay_way: '',
  created_from: '',
  created_to: '',
  amount_min: '',
  amount_max: '',
  search: '',
  search_by: 'order_no',
  flagged: false,
};

/** The API query of the filters: dates as whole UTC days, the search as the operator or staff API wants it. */
function toQuery(f: Filters, operator: boolean): OrderQuery {
  const q: OrderQuery = {
    state: (f.state || undefined) as OrderState | undefined,
    pay_way: f.pay_way || undefined,
    created_from: f.created_from ? `${f.created_from}T00:00:00.000Z` : undefined,
    created_to: f.created_to ? `${f.created_to}T23:59:59.999Z` : undefined,
    amount_min: f.amount_min.trim() || undefined,
    amount_max: f.amount_max.trim() || undefined,
    flagged: f.flagged ? 'true' : undefined,
  };
  const search = f.search.trim();
  if (search) {
    if (operator) q[f.search_by] = search;
    else q.q = search;
  }
  return q;
}

/** The CSV export of the same filters (every page, so no cursor or limit). */
function exportUrl(operator: boolean, query: OrderQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `${operator ? '/api/v1/admin' : '/api/v1'}/orders/export.csv${qs ? `?${qs}` : ''}`;
}

const col = createColumnHelper<Row>();

export default function OrdersPage(): ReactNode {
  const { operator } = useSession();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const pages = useCursorPages();
  const page = pages.page;
  const query: OrderQuery = { ...toQuery(filters, operator), limit: 25, cursor: pages.cursor };

  const orders = useQuery({
    queryKey: ['orders', operator, query],
    queryFn: (): Promise<{ data: Row[]; has_more: boolean; next_cursor: string | null }> =>
      operator
        ? unwrap(api.GET('/api/v1/admin/orders', { params: { query } }))
        : unwrap(api.GET('/api/v1/orders', { params: { query } })),
    placeholderData: keepPreviousData,
  });

  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setFilters(draft);
    pages.reset();
  };
  const set = <K extends keyof Filters>(k: K, v: Filters[K]): void => setDraft((d) => ({ ...d, [k]: v }));

  const columns = [
    col.accessor('id', {
      header: 'Order',
      cell: (c) => (
        <Anchor component={Link} to={`/orders/${c.getValue()}`} ff="monospace" size="sm">
          {c.getValue().slice(0, 8)}
        </Anchor>
      ),
    }),
    // The staff list (OrderResponse) carries neither the merchant order no nor the tenant nor the flag.
    ...(operator
      ? [
          col.accessor((r) => ('merchant_order_no' in r ? r.merchant_order_no : null), {
            id: 'merchant_order_no',
            header: 'Merchant order no',
            cell: (c) => c.getValue() ?? '—',
          }),
        ]
      : []),
    col.accessor('state', { header: 'State', cell: (c) => <StateBadge state={c.getValue()} /> }),
    col.accessor('price', {
      header: 'Amount',
      cell: (c) => <Money amount={c.getValue()} currency={c.row.original.currency} />,
    }),
    col.accessor('pay_way', { header: 'Pay way' }),
    col.accessor('pay_id', { header: 'Pay id', cell: (c) => <ShortId id={c.getValue()} /> }),
    ...(operator
      ? [
          col.accessor((r) => ('tenant_id' in r ? r.tenant_id : null), {
            id: 'tenant_id',
            header: 'Tenant',
            cell: (c) => <ShortId id={c.getValue()} />,
          }),
          col.accessor((r) => 'flagged' in r && r.flagged, {
            id: 'flagged',
            header: 'Flagged',
            cell: (c) => (c.getValue() ? 'yes' : ''),
          }),
        ]
      : []),
    col.accessor('created_at', { header: 'Created', cell: (c) => <When at={c.getValue()} /> }),
  ];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Orders</Title>
        <Button
          component="a"
          href={exportUrl(operator, toQuery(filters, operator))}
          variant="light"
          size="xs"
        >
          Export CSV
        </Button>
      </Group>
      <Paper withBorder p="sm">
        <form onSubmit={apply} aria-label="Order filters">
          <Grid gutter="xs" align="flex-end">
            <Grid.Col span={{ base: 12, sm: 6, md: 4 }}>
              <TextInput
                label="Search"
                placeholder={
                  operator ? 'merchant order no, pay id or order id' : 'order id, pay id or merchant order no'
                }
                value={draft.search}
                onChange={(e) => set('search', e.currentTarget.value)}
              />
            </Grid.Col>
            {operator && (
              <Grid.Col span={{ base: 12, sm: 6, md: 2 }}>
                <Select
                  label="Search by"
                  data={[
                    { value: 'order_no', label: 'Merchant order no' },
                    { value: 'pay_id', label: 'Pay id' },
                    { value: 'id', label: 'Order id' },
                  ]}
                  value={draft.search_by}
                  allowDeselect={false}
                  onChange={(v) => set('search_by', (v ?? 'order_no') as Filters['search_by'])}
                />
              </Grid.Col>
            )}
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <Select
                label="State"
                placeholder="any"
                clearable
                data={STATES}
                value={draft.state || null}
                onChange={(v) => set('state', v ?? '')}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <Select
                label="Pay way"
                placeholder="any"
                clearable
                data={PAY_WAYS}
                value={draft.pay_way || null}
                onChange={(v) => set('pay_way', v ?? '')}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <TextInput
                label="Created from"
                type="date"
                value={draft.created_from}
                onChange={(e) => set('created_from', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <TextInput
                label="Created to"
                type="date"
                value={draft.created_to}
                onChange={(e) => set('created_to', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <TextInput
                label="Amount from"
                inputMode="decimal"
                value={draft.amount_min}
                onChange={(e) => set('amount_min', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, sm: 3, md: 2 }}>
              <TextInput
                label="Amount to"
                inputMode="decimal"
                value={draft.amount_max}
                onChange={(e) => set('amount_max', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, sm: 6, md: 2 }}>
              <Checkbox
                label="Flagged only"
                checked={draft.flagged}
                onChange={(e) => set('flagged', e.currentTarget.checked)}
                mb={8}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, sm: 6, md: 'content' }}>
              <Group gap="xs" wrap="nowrap">
                <Button type="submit">Apply</Button>
                <Button
                  variant="subtle"
                  onClick={() => {
                    setDraft(EMPTY);
                    setFilters(EMPTY);
                    pages.reset();
                  }}
                >
                  Reset
                </Button>
              </Group>
            </Grid.Col>
          </Grid>
        </form>
      </Paper>
      <QueryState query={orders}>
        {(res) => (
          <>
            <DataTable
              data={res.data}
              columns={columns}
              caption="Orders, newest first"
              empty="No orders match these filters."
              rowKey={(o) => o.id}
            />
            <CursorPager
              page={page}
              hasMore={res.has_more}
              onPrev={pages.prev}
              onNext={() => pages.next(res.next_cursor)}
            />
          </>
        )}
      </QueryState>
    </Stack>
  );
}
