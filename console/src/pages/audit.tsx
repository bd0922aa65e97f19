import { Button, Code, Grid, Paper, Stack, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { CursorPager, DataTable, useCursorPages } from '../components/data-table';
import { When } from '../components/format';
import { PageTitle } from '../components/page-title';
import { QueryState } from '../components/states';

type Entry = components['schemas']['AdminAuditEntryResponse'];
const col = createColumnHelper<Entry>();

interface Filters {
  action: string;
  target_type: string;
  target_id: string;
  tenant_id: string;
  actor_id: string;
  from: string;
  to: string;
}
const EMPTY: Filters = {
  action: '',
  target_type: '',
  target_id: '',
  tenant_id: '',
  actor_id: '',
  from: '',
  to: '',
};

const json = (v: unknown): ReactNode =>
  v === null || v === undefined ? (
    ''
  ) : (
    <Code block fz="xs" maw={320} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
      {JSON.stringify(v)}
    </Code>
  );

export default function AuditPage(): ReactNode {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const pages = useCursorPages();
  const page = pages.page;
  const query = {
    limit: 50,
    cursor: pages.cursor,
    action: filters.action.trim() || undefined,
    target_type: filters.target_type.trim() || undefined,
    target_id: filters.target_id.trim() || undefined,
    tenant_id: filters.tenant_id.trim() || undefined,
    actor_id: filters.actor_id.trim() || undefined,
    from: filters.from ? `${filters.from}T00:00:00.000Z` : undefined,
    to: filters.to ? `${filters.to}T23:59:59.999Z` : undefined,
  };
  const entries = useQuery({
    queryKey: ['audit', query],
    queryFn: () => unwrap(api.GET('/api/v1/admin/audit', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const set = (k: keyof Filters, v: string): void => setDraft((d) => ({ ...d, [k]: v }));
  const apply = (e: FormEvent): void => {
    e.preventDefault();
    setFilters(draft);
    pages.reset();
  };
  const columns = [
    col.accessor('created_at', { header: 'At', cell: (c) => <When at={c.getValue()} /> }),
    col.accessor('action', { header: 'Action' }),
    col.accessor('target', { header: 'Target' }),
    col.accessor('actor_email', {
      header: 'Actor',
      cell: (c) => c.getValue() ?? c.row.original.actor_id ?? 'system',
    }),
    col.accessor('tenant_name', { header: 'Tenant', cell: (c) => c.getValue() ?? '—' }),
    col.accessor('before', { header: 'Before', cell: (c) => json(c.getValue()) }),
    col.accessor('after', { header: 'After', cell: (c) => json(c.getValue()) }),
    col.accessor('data', { header: 'Data', cell: (c) => json(c.getValue()) }),
  ];
  return (
    <Stack>
      <PageTitle>Audit log</PageTitle>
      <Paper withBorder p="sm">
        <form onSubmit={apply} aria-label="Audit filters">
          <Grid gutter="xs" align="flex-end">
            <Grid.Col span={{ base: 6, md: 3 }}>
              <TextInput
                label="Action"
                placeholder="refund.create"
                value={draft.action}
                onChange={(e) => set('action', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, md: 2 }}>
              <TextInput
                label="Target type"
                placeholder="order"
                value={draft.target_type}
                onChange={(e) => set('target_type', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 3 }}>
              <TextInput
                label="Target id"
                value={draft.target_id}
                onChange={(e) => set('target_id', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 4 }}>
              <TextInput
                label="Tenant id"
                value={draft.tenant_id}
                onChange={(e) => set('tenant_id', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 4 }}>
              <TextInput
                label="Actor id"
                value={draft.actor_id}
                onChange={(e) => set('actor_id', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, md: 3 }}>
              <TextInput
                label="From"
                type="date"
                value={draft.from}
                onChange={(e) => set('from', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 6, md: 3 }}>
              <TextInput
                label="To"
                type="date"
                value={draft.to}
                onChange={(e) => set('to', e.currentTarget.value)}
              />
            </Grid.Col>
            <Grid.Col span={{ base: 12, md: 2 }}>
              <Button type="submit">Apply</Button>
            </Grid.Col>
          </Grid>
        </form>
      </Paper>
      <QueryState query={entries}>
        {(res) => (
          <>
            <DataTable
              data={res.data}
              columns={columns}
              caption="Audit entries, newest first"
              empty="No audit entries match."
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
