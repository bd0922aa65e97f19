import { Anchor, Badge, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { DataTable } from '../components/data-table';
import { ShortId, When } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryState } from '../components/states';

const KIND_LABEL: Record<string, string> = {
  payment_flagged: 'Payment flagged',
  x402_settle_unknown: 'x402 settle unknown',
  refund_pending: 'Refund pending',
  notification_failing: 'Notification failing',
};

const col = createColumnHelper<components['schemas']['AttentionItemResponse']>();

export default function AttentionPage(): ReactNode {
  const { operator } = useSession();
  const items = useQuery({
    queryKey: ['attention', operator],
    queryFn: () => unwrap(operator ? api.GET('/api/v1/admin/attention') : api.GET('/api/v1/attention')),
  });
  const columns = [
    col.accessor('kind', {
      header: 'Kind',
      cell: (c) => (
        <Badge variant="light" color="orange" tt="none">
          {KIND_LABEL[c.getValue()] ?? c.getValue()}
        </Badge>
      ),
    }),
    col.accessor('reason', { header: 'Why' }),
    col.accessor('order_id', {
      header: 'Order',
      cell: (c) => (
        <Anchor component={Link} to={`/orders/${c.getValue()}`}>
          <ShortId id={c.getValue()} />
        </Anchor>
      ),
    }),
    ...(operator
      ? [col.accessor('tenant_id', { header: 'Tenant', cell: (c) => <ShortId id={c.getValue()} /> })]
      : []),
    col.accessor('since', { header: 'Since', cell: (c) => <When at={c.getValue()} /> }),
  ];
  return (
    <Stack>
      <PageTitle>Needs attention</PageTitle>
      <QueryState query={items}>
        {(res) => (
          <DataTable
            data={res.data}
            columns={columns}
            caption={res.has_more ? 'The oldest items first; more are waiting' : 'The oldest items first'}
            empty="Nothing needs attention."
            rowKey={(r) => `${r.kind}:${r.id}`}
          />
        )}
      </QueryState>
    </Stack>
  );
}
