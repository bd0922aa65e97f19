import { Alert, Anchor, Badge, Button, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { DataTable } from '../components/data-table';
import { When } from '../components/format';
import { formatAmount, Money } from '../components/money';
import { PageTitle } from '../components/page-title';
import { ReasonDialog } from '../components/reason-dialog';
import { QueryState } from '../components/states';

type S = components['schemas'];
type Detail = S['AdminTenantDetailResponse'];
const members = createColumnHelper<S['AdminTenantMemberResponse']>();
const apps = createColumnHelper<S['AdminTenantApplicationResponse']>();
const providers = createColumnHelper<S['AdminTenantProviderResponse']>();
const volume = createColumnHelper<S['AdminTenantVolumeResponse']>();

function SuspendButton({ t }: { t: Detail }): ReactNode {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const change = useMutation({
    mutationFn: (reason: string) =>
      t.suspended
        ? unwrap(
            api.POST('/api/v1/admin/tenants/{id}/unsuspend', {
              params: { path: { id: t.id } },
              body: reason ? { reason } : {},
            }),
          )
        : unwrap(
            api.POST('/api/v1/admin/tenants/{id}/suspend', {
              params: { path: { id: t.id } },
              body: { reason },
            }),
          ),
    onSuccess: async () => {
      notifications.show({
        color: 'green',
        message: t.suspended ? 'Tenant unsuspended' : 'Tenant suspended',
      });
      setOpen(false);
      await qc.invalidateQueries({ queryKey: ['tenant', t.id] });
      await qc.invalidateQueries({ queryKey: ['tenants'] });
    },
  });
  return (
    <>
      <Button color={t.suspended ? 'green' : 'red'} variant="light" onClick={() => setOpen(true)}>
        {t.suspended ? 'Unsuspend…' : 'Suspend…'}
      </Button>
      <ReasonDialog
        opened={open}
        title={t.suspended ? `Unsuspend ${t.name}` : `Suspend ${t.name}`}
        confirm={t.suspended ? 'Unsuspend' : 'Suspend'}
        required={!t.suspended}
        busy={change.isPending}
        error={change.error}
        onClose={() => setOpen(false)}
        onConfirm={(reason) => change.mutate(reason)}
      />
    </>
  );
}

function TenantView({ t }: { t: Detail }): ReactNode {
  const columns1 = [
    volume.accessor('currency', { header: 'Currency' }),
    volume.accessor('orders', { header: 'Orders' }),
    volume.accessor('paid_orders', { header: 'Paid' }),
    volume.accessor('paid_amount', {
      header: 'Paid amount',
      cell: (c) => <Money amount={c.getValue()} currency={c.row.original.currency} />,
    }),
  ];
  const columns2 = [
    members.accessor('email', {
      header: 'Email',
      cell: (c) => (
        <Anchor component={Link} to={`/users/${c.row.original.user_id}`}>
          {c.getValue()}
        </Anchor>
      ),
    }),
    members.accessor('role', { header: 'Role' }),
  ];
  const columns3 = [
    apps.accessor('name', { header: 'Name' }),
    apps.accessor('balance', { header: 'Balance (credits)', cell: (c) => formatAmount(c.getValue()) }),
  ];
  const columns4 = [
    providers.accessor('provider', { header: 'Provider' }),
    providers.accessor('enabled', { header: 'Enabled', cell: (c) => (c.getValue() ? 'yes' : 'no') }),
    providers.accessor('mode', { header: 'Mode' }),
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/tenants" size="sm">
        ← Tenants
      </Anchor>
      <PageTitle right={<SuspendButton t={t} />}>
        {t.name}{' '}
        {t.suspended ? (
          <Badge color="red" variant="light">
            suspended
          </Badge>
        ) : (
          <Badge color="green" variant="light">
            active
          </Badge>
        )}
      </PageTitle>
      {t.suspended && (
        <Alert color="red" title="Suspended">
          Since <When at={t.suspended_at} />: {t.suspension_reason ?? 'no reason given'}
        </Alert>
      )}
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <div>
            <Text size="xs" c="dimmed">
              Tenant id
            </Text>
            <Text ff="monospace" size="sm">
              {t.id}
            </Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Orders
            </Text>
            <Text size="sm">{t.order_count}</Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Created
            </Text>
            <When at={t.created_at} />
          </div>
        </SimpleGrid>
      </Card>
      <Card withBorder component="section" aria-label="Volume">
        <Title order={3} size="h4" mb="xs">
          Volume
        </Title>
        <DataTable
          caption="Orders and paid volume per currency"
          data={t.volume}
          empty="No orders yet."
          rowKey={(r) => r.currency}
          columns={columns1}
        />
      </Card>
      <Card withBorder component="section" aria-label="Members">
        <Title order={3} size="h4" mb="xs">
          Members
        </Title>
        <DataTable caption="Members" data={t.members} rowKey={(r) => r.user_id} columns={columns2} />
      </Card>
      <Card withBorder component="section" aria-label="Applications">
        <Title order={3} size="h4" mb="xs">
          Applications
        </Title>
        <DataTable
          caption="Applications and their credit balances"
          data={t.applications}
          empty="No applications."
          rowKey={(r) => r.id}
          columns={columns3}
        />
      </Card>
      <Card withBorder component="section" aria-label="Providers">
        <Title order={3} size="h4" mb="xs">
          Providers
        </Title>
        <DataTable
          caption="Payment providers"
          data={t.providers}
          empty="No providers configured."
          rowKey={(r) => r.provider}
          columns={columns4}
        />
      </Card>
    </Stack>
  );
}

export default function TenantDetailPage(): ReactNode {
  const { id = '' } = useParams();
  const tenant = useQuery({
    queryKey: ['tenant', id],
    queryFn: () => unwrap(api.GET('/api/v1/admin/tenants/{id}', { params: { path: { id } } })),
  });
  return <QueryState query={tenant}>{(t) => <TenantView t={t} />}</QueryState>;
}
