import { BarChart } from '@mantine/charts';
import { Alert, Button, Card, Grid, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { DataTable } from '../components/data-table';
import { Money } from '../components/money';
import { PageTitle } from '../components/page-title';
import { ErrorState, Loading } from '../components/states';

type Dashboard = components['schemas']['DashboardResponse'];
type Day = Dashboard['days'][number];
const col = createColumnHelper<Day>();

/** "0.8571" -> "85.71 %" without going through a float. */
export function percent(rate: string | null): string {
  if (rate === null) return '—';
  const [whole, frac = ''] = rate.split('.');
  const digits = `${whole}${frac.padEnd(4, '0')}`.replace(/^0+(?=\d{3})/, '');
  return `${digits.slice(0, -2) || '0'}.${digits.slice(-2)} %`;
}

function Figure({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <Card withBorder>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="div" fw={600} size="lg">
        {children}
      </Text>
    </Card>
  );
}

/** Orders and paid orders per day, all providers together (counts only: amounts stay exact strings). */
function perDay(days: Day[]): { day: string; Orders: number; Paid: number }[] {
  const by = new Map<string, { day: string; Orders: number; Paid: number }>();
  for (const d of days) {
    const row = by.get(d.day) ?? { day: d.day, Orders: 0, Paid: 0 };
    row.Orders += d.orders;
    row.Paid += d.paid_orders;
    by.set(d.day, row);
  }
  return [...by.values()].sort((a, b) => a.day.localeCompare(b.day));
}

function DashboardView({ d }: { d: Dashboard }): ReactNode {
  const t = d.totals;
  const chart = perDay(d.days);
  const columns1 = [
    col.accessor('day', { header: 'Day' }),
    col.accessor('provider', { header: 'Provider' }),
    col.accessor('orders', { header: 'Orders' }),
    col.accessor('paid_orders', { header: 'Paid' }),
    col.accessor('success_rate', { header: 'Success', cell: (c) => percent(c.getValue()) }),
    col.accessor('median_seconds_to_pay', {
      header: 'Median to pay',
      cell: (c) => (c.getValue() === null ? '—' : `${c.getValue()} s`),
    }),
    col.accessor('paid_volume', {
      header: 'Paid volume',
      cell: (c) =>
        c.getValue().map((v) => (
          <div key={v.currency}>
            <Money amount={v.amount} currency={v.currency} />
          </div>
        )),
    }),
  ];
  return (
    <Stack>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Figure label="Orders">{t.orders}</Figure>
        <Figure label="Paid orders">{t.paid_orders}</Figure>
        <Figure label="Success rate">{percent(t.success_rate)}</Figure>
        <Figure label="Median time to pay">
          {t.median_seconds_to_pay === null ? '—' : `${t.median_seconds_to_pay} s`}
        </Figure>
      </SimpleGrid>
      <Card withBorder>
        <Text size="xs" c="dimmed">
          Paid volume
        </Text>
        {t.paid_volume.length === 0 ? (
          <Text c="dimmed">None in this range.</Text>
        ) : (
          <Group gap="lg">
            {t.paid_volume.map((v) => (
              <Text key={v.currency} fw={600}>
                <Money amount={v.amount} currency={v.currency} />
              </Text>
            ))}
          </Group>
        )}
      </Card>
      <Card withBorder component="section" aria-label="Orders per day">
        <Title order={3} size="h4" mb="xs">
          Orders per day
        </Title>
        {chart.length === 0 ? (
          <Text c="dimmed">No orders in this range.</Text>
        ) : (
          <BarChart
            h={260}
            data={chart}
            dataKey="day"
            series={[
              { name: 'Orders', color: 'indigo.4' },
              { name: 'Paid', color: 'teal.6' },
            ]}
            withLegend
          />
        )}
      </Card>
      <Card withBorder component="section" aria-label="Per day and provider">
        <Title order={3} size="h4" mb="xs">
          Per day and provider
        </Title>
        <DataTable
          caption="Orders, success rate and paid volume per day and provider"
          data={d.days}
          empty="No orders in this range."
          rowKey={(r) => `${r.day}/${r.provider}`}
          columns={columns1}
        />
      </Card>
    </Stack>
  );
}

export default function DashboardPage(): ReactNode {
  const { operator } = useSession();
  const [draft, setDraft] = useState({ from: '', to: '', tenant_id: '' });
  const [range, setRange] = useState(draft);
  const query = {
    from: range.from || undefined,
    to: range.to || undefined,
    tenant_id: operator ? range.tenant_id.trim() || undefined : undefined,
  };
  const dashboard = useQuery({
    queryKey: ['dashboard', operator, query],
    queryFn: () =>
      unwrap(
        operator
          ? api.GET('/api/v1/admin/dashboard', { params: { query } })
          : api.GET('/api/v1/dashboard', { params: { query: { from: query.from, to: query.to } } }),
      ),
  });
  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setRange(draft);
  };
  let body: ReactNode;
  if (dashboard.isPending) body = <Loading />;
  else if (
    dashboard.error instanceof ApiError &&
    dashboard.error.status === 404 &&
    dashboard.error.code !== 'tenant_not_found'
  )
    body = (
      <Alert color="gray" title="No dashboard yet">
        This server does not offer the dashboard figures yet. Orders, refunds and the audit log are in the
        other pages.
      </Alert>
    );
  else if (dashboard.error)
    body = <ErrorState error={dashboard.error} retry={() => void dashboard.refetch()} />;
  else body = <DashboardView d={dashboard.data} />;
  return (
    <Stack>
      <PageTitle>Dashboard</PageTitle>
      <form onSubmit={apply} aria-label="Dashboard range">
        <Grid gutter="xs" align="flex-end">
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <TextInput
              label="From (UTC day)"
              type="date"
              value={draft.from}
              onChange={(e) => setDraft((d) => ({ ...d, from: e.currentTarget.value }))}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <TextInput
              label="To (UTC day)"
              type="date"
              value={draft.to}
              onChange={(e) => setDraft((d) => ({ ...d, to: e.currentTarget.value }))}
            />
          </Grid.Col>
          {operator && (
            <Grid.Col span={{ base: 12, sm: 4 }}>
              <TextInput
                label="Tenant id"
                placeholder="all tenants"
                value={draft.tenant_id}
                onChange={(e) => setDraft((d) => ({ ...d, tenant_id: e.currentTarget.value }))}
              />
            </Grid.Col>
          )}
          <Grid.Col span={{ base: 12, sm: 2 }}>
            <Button type="submit">Show</Button>
          </Grid.Col>
        </Grid>
      </form>
      <Text size="xs" c="dimmed">
        Default: the last 30 days.
      </Text>
      {body}
    </Stack>
  );
}
