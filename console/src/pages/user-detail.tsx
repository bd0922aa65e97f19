import { Anchor, Button, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { DataTable } from '../components/data-table';
import { When } from '../components/format';
import { PageTitle } from '../components/page-title';
import { errorText, QueryState } from '../components/states';
import { UserStatus } from './users';

type S = components['schemas'];
type Detail = S['AdminUserDetailResponse'];
const memberships = createColumnHelper<S['AdminUserMembershipResponse']>();

function StatusButton({ u }: { u: Detail }): ReactNode {
  const { me } = useSession();
  const qc = useQueryClient();
  const change = useMutation({
    mutationFn: () =>
      u.disabled
        ? unwrap(api.POST('/api/v1/admin/users/{id}/enable', { params: { path: { id: u.id } } }))
        : unwrap(api.POST('/api/v1/admin/users/{id}/disable', { params: { path: { id: u.id } } })),
    onSuccess: async () => {
      notifications.show({ color: 'green', message: u.disabled ? 'Account enabled' : 'Account disabled' });
      await qc.invalidateQueries({ queryKey: ['user', u.id] });
      await qc.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'Refused', message: errorText(err) }),
  });
  if (u.id === me.user.id) return null;
  return (
    <Button
      color={u.disabled ? 'green' : 'red'}
      variant="light"
      loading={change.isPending}
      onClick={() => {
        if (
          u.disabled ||
          window.confirm(`Disable ${u.email}? Their sign-ins, tokens and sessions stop working.`)
        )
          change.mutate();
      }}
    >
      {u.disabled ? 'Enable account' : 'Disable account'}
    </Button>
  );
}

function UserView({ u }: { u: Detail }): ReactNode {
  const columns1 = [
    memberships.accessor('tenant_name', {
      header: 'Tenant',
      cell: (c) => (
        <Anchor component={Link} to={`/tenants/${c.row.original.tenant_id}`}>
          {c.getValue()}
        </Anchor>
      ),
    }),
    memberships.accessor('role', { header: 'Role' }),
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/users" size="sm">
        ← Users
      </Anchor>
      <PageTitle right={<StatusButton u={u} />}>
        {u.email} <UserStatus disabled={u.disabled} />
      </PageTitle>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 4 }}>
          <div>
            <Text size="xs" c="dimmed">
              Name
            </Text>
            <Text size="sm">{u.name}</Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Operator
            </Text>
            <Text size="sm">{u.is_platform_admin ? 'yes' : 'no'}</Text>
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Created
            </Text>
            <When at={u.created_at} />
          </div>
          <div>
            <Text size="xs" c="dimmed">
              Disabled since
            </Text>
            <When at={u.disabled_at} />
          </div>
        </SimpleGrid>
      </Card>
      <Card withBorder component="section" aria-label="Memberships">
        <Title order={3} size="h4" mb="xs">
          Memberships
        </Title>
        <DataTable
          caption="Tenants this account belongs to"
          data={u.memberships}
          empty="No memberships."
          rowKey={(r) => r.tenant_id}
          columns={columns1}
        />
      </Card>
    </Stack>
  );
}

export default function UserDetailPage(): ReactNode {
  const { id = '' } = useParams();
  const user = useQuery({
    queryKey: ['user', id],
    queryFn: () => unwrap(api.GET('/api/v1/admin/users/{id}', { params: { path: { id } } })),
  });
  return <QueryState query={user}>{(u) => <UserView u={u} />}</QueryState>;
}
