import { Anchor, Badge, Button, Group, Select, Stack, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { CursorPager, DataTable, useCursorPages } from '../components/data-table';
import { PageTitle } from '../components/page-title';
import { QueryState } from '../components/states';

type User = components['schemas']['AdminUserResponse'];
const col = createColumnHelper<User>();

export function UserStatus({ disabled }: { disabled: boolean }): ReactNode {
  return disabled ? (
    <Badge color="red" variant="light">
      disabled
    </Badge>
  ) : (
    <Badge color="green" variant="light">
      enabled
    </Badge>
  );
}

export default function UsersPage(): ReactNode {
  const [draft, setDraft] = useState({ q: '', disabled: '' });
  const [filters, setFilters] = useState({ q: '', disabled: '' });
  const pages = useCursorPages();
  const page = pages.page;
  const query = {
    limit: 50,
    cursor: pages.cursor,
    q: filters.q || undefined,
    disabled: filters.disabled === '' ? undefined : filters.disabled === 'true',
  };
  const users = useQuery({
    queryKey: ['users', query],
    queryFn: () => unwrap(api.GET('/api/v1/admin/users', { params: { query: query as never } })),
    placeholderData: keepPreviousData,
  });
  const search = (e: FormEvent): void => {
    e.preventDefault();
    setFilters({ q: draft.q.trim(), disabled: draft.disabled });
    pages.reset();
  };
  const columns = [
    col.accessor('email', {
      header: 'Email',
      cell: (c) => (
        <Anchor component={Link} to={`/users/${c.row.original.id}`}>
          {c.getValue()}
        </Anchor>
      ),
    }),
    col.accessor('name', { header: 'Name' }),
    col.accessor('is_platform_admin', { header: 'Operator', cell: (c) => (c.getValue() ? 'yes' : '') }),
    col.accessor('disabled', { header: 'Status', cell: (c) => <UserStatus disabled={c.getValue()} /> }),
  ];
  return (
    <Stack>
      <PageTitle>Users</PageTitle>
      <form onSubmit={search} aria-label="Search users">
        <Group align="flex-end" gap="xs">
          <TextInput
            label="Search"
            placeholder="email or name"
            value={draft.q}
            onChange={(e) => setDraft((d) => ({ ...d, q: e.currentTarget.value }))}
          />
          <Select
            label="Status"
            w={140}
            data={[
              { value: '', label: 'any' },
              { value: 'false', label: 'enabled' },
              { value: 'true', label: 'disabled' },
            ]}
            value={draft.disabled}
            allowDeselect={false}
            onChange={(v) => setDraft((d) => ({ ...d, disabled: v ?? '' }))}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      <QueryState query={users}>
        {(res) => (
          <>
            <DataTable
              data={res.data}
              columns={columns}
              caption="Users"
              empty="No users match."
              rowKey={(r) => r.id}
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
