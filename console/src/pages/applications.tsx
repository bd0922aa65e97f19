import { Anchor, Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { api, fieldErrors, unwrap } from '../api/client';
import { useSession } from '../api/session';
import { Money } from '../components/money';
import { PageTitle, fmtTime } from '../components/settings-ui';
import { Empty, QueryState, errorText } from '../components/states';

export const APPLICATIONS = ['applications'] as const;

/** The tenant's applications and their credit balances (exact, as the API sends them). */
export default function ApplicationsPage(): ReactNode {
  const session = useSession();
  const apps = useQuery({ queryKey: APPLICATIONS, queryFn: () => unwrap(api.GET('/api/v1/applications')) });
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageTitle title="Applications">
        {session.canOperate && <Button onClick={() => setCreating(true)}>New application</Button>}
      </PageTitle>
      <QueryState query={apps}>
        {(data) =>
          data.data.length === 0 ? (
            <Empty>No applications yet.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={560}>
              <Table striped highlightOnHover aria-label="Applications">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th ta="right">Balance</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Updated</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/applications/${a.id}`}>
                          {a.name}
                        </Anchor>
                      </Table.Td>
                      <Table.Td ta="right">
                        <Money amount={a.balance} currency="credits" />
                      </Table.Td>
                      <Table.Td>{fmtTime(a.created_at)}</Table.Td>
                      <Table.Td>{fmtTime(a.updated_at)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      <CreateApplicationDialog opened={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function CreateApplicationDialog({ opened, onClose }: { opened: boolean; onClose: () => void }): ReactNode {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/api/v1/applications', { body: { name: name.trim() } }));
      setName('');
      await qc.invalidateQueries({ queryKey: APPLICATIONS });
      onClose();
    } catch (err) {
      setError(fieldErrors(err).name ?? errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title="New application" centered>
      <form onSubmit={(e) => void submit(e)}>
        <Stack>
          <TextInput
            label="Name"
            required
            maxLength={100}
            value={name}
            error={error}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
          <Text size="xs" c="dimmed">
            Orders credit an application&apos;s balance; usage debits it.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={name.trim() === ''}>
              Create
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
