import { Anchor, Badge, Button, Group, Stack, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { CursorPager, DataTable, useCursorPages } from '../components/data-table';
import { When } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryState } from '../components/states';

type Tenant = components['schemas']['AdminTenantResponse'];
const col = createColumnHelper<Tenant>();

export default function TenantsPage(): ReactNode {
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const pages = useCursorPages();
  const page = pages.page;
  const query = { limit: 50, cursor: pages.cursor, q: q || undefined };
  const tenants = useQuery({
    queryKey: ['tenants', query],
    queryFn: () => unwrap(api.GET('/api/v1/admin/tenants', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const search = (e: FormEvent): void => {
    e.preventDefault();
    setQ(draft.trim());
    pages.reset();
  };
  const columns = [
    col.accessor('name', {
      header: 'Tenant',
      cell: (c) => (
        <Anchor component={Link} to={`/tenants/${c.row.original.id}`}>
          {c.getValue()}
        </Anchor>
      ),
    }),
    col.accessor('owner_emails', { header: 'Owners', cell: (c) => c.getValue().join(', ') }),
    col.accessor('suspended', {
      header: 'Status',
      cell: (c) =>
        c.getValue() ? (
          <Badge color="red" variant="light">
            suspended
          </Badge>
        ) : (
          <Badge color="green" variant="light">
            active
          </Badge>
        ),
    }),
    col.accessor('created_at', { header: 'Created', cell: (c) => <When at={c.getValue()} /> }),
  ];
  return (
    <Stack>
      <PageTitle>Tenants</PageTitle>
      <form onSubmit={search} aria-label="Search tenants">
        <Group align="flex-end" gap="xs">
          <TextInput
            label="Search"
            placeholder="name or owner email"
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
          />
          <Button type="submit">Search</Button>
        </Group>
      </form>
      <QueryState query={tenants}>
        {(res) => (
          <>
            <DataTable
              data={res.data}
              columns={columns}
              caption="Tenants"
              empty="No tenants match."
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
