import { Anchor, Badge, Button, Card, Group, Stack, Table, Text } from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { Money } from '../components/money';
import { fmtTime, NO_TRUNCATE, PageTitle } from '../components/settings-ui';
import { Empty, ErrorState, Loading, QueryState } from '../components/states';

type Entry = components['schemas']['LedgerEntryResponse'];

const KIND_COLOR: Record<Entry['kind'], string> = { credit: 'teal', usage: 'blue', refund: 'orange' };

/** One application: its balance and its ledger, newest first, a page at a time. */
export default function ApplicationDetailPage(): ReactNode {
  const { id = '' } = useParams();
  const app = useQuery({
    queryKey: ['applications', id],
    queryFn: () => unwrap(api.GET('/api/v1/applications/{id}', { params: { path: { id } } })),
  });
  const ledger = useInfiniteQuery({
    queryKey: ['applications', id, 'ledger'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/applications/{id}/ledger', {
          params: { path: { id }, query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => (last.has_more && last.next_cursor ? last.next_cursor : undefined),
  });

  return (
    <>
      <Anchor component={Link} to="/applications" size="sm">
        ← Applications
      </Anchor>
      <QueryState query={app}>
        {(a) => (
          <>
            <PageTitle title={a.name} />
            <Card withBorder mb="lg">
              <Group gap="xl" wrap="wrap">
                <Stack gap={0}>
                  <Text size="xs" c="dimmed">
                    Balance
                  </Text>
                  <Text size="xl" fw={600} data-testid="application-balance">
                    <Money amount={a.balance} currency="credits" />
                  </Text>
                </Stack>
                <Stack gap={0}>
                  <Text size="xs" c="dimmed">
                    Application id
                  </Text>
                  <Text ff="monospace" size="sm">
                    {a.id}
                  </Text>
                </Stack>
                <Stack gap={0}>
                  <Text size="xs" c="dimmed">
                    Created
                  </Text>
                  <Text size="sm">{fmtTime(a.created_at)}</Text>
                </Stack>
              </Group>
            </Card>
          </>
        )}
      </QueryState>
      <Text fw={600} mb="xs">
        Ledger
      </Text>
      {ledger.isPending ? (
        <Loading />
      ) : ledger.error ? (
        <ErrorState error={ledger.error} retry={() => void ledger.refetch()} />
      ) : ledger.data.pages[0].data.length === 0 ? (
        <Empty>No ledger entries yet.</Empty>
      ) : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped aria-label="Ledger">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th ta="right">Amount</Table.Th>
                  <Table.Th ta="right">Balance after</Table.Th>
                  <Table.Th>Order / reference</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {ledger.data.pages
                  .flatMap((p) => p.data)
                  .map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>{fmtTime(e.created_at)}</Table.Td>
                      <Table.Td>
                        <Badge color={KIND_COLOR[e.kind]} variant="light" styles={NO_TRUNCATE}>
                          {e.kind}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">
                        <Money amount={e.amount} currency="credits" />
                      </Table.Td>
                      <Table.Td ta="right">
                        <Money amount={e.balance_after} currency="credits" />
                      </Table.Td>
                      <Table.Td>
                        {e.order_id ? (
                          <Anchor component={Link} to={`/orders/${e.order_id}`} ff="monospace" size="sm">
                            {e.order_id}
                          </Anchor>
                        ) : (
                          <Text size="sm" ff="monospace">
                            {e.reference ?? '—'}
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {ledger.hasNextPage && (
            <Group justify="center" mt="sm">
              <Button
                variant="default"
                loading={ledger.isFetchingNextPage}
                onClick={() => void ledger.fetchNextPage()}
              >
                Load more
              </Button>
            </Group>
          )}
        </>
      )}
    </>
  );
}
