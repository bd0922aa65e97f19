import {
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { ConfirmButton, CopyValue, fmtTime, NO_TRUNCATE, PageTitle } from '../components/settings-ui';
import { Empty, QueryState, errorText } from '../components/states';

type ApiKey = components['schemas']['ApiKeyResponse'];
type WithSecret = components['schemas']['ApiKeyCreatedResponse'];

const KEYS = ['api-keys'] as const;

const OVERLAPS = [
  { value: '0', label: 'Stop the old key now' },
  { value: '3600', label: 'Old key works 1 more hour' },
  { value: '86400', label: 'Old key works 1 more day' },
  { value: '604800', label: 'Old key works 7 more days' },
];

function status(k: ApiKey): ReactNode {
  if (k.revoked_at)
    return (
      <Badge color="red" variant="light" styles={NO_TRUNCATE}>
        revoked
      </Badge>
    );
  if (!k.active)
    return (
      <Badge color="gray" variant="light" styles={NO_TRUNCATE}>
        expired
      </Badge>
    );
  if (k.expires_at)
    return (
      <Badge color="yellow" variant="light" styles={NO_TRUNCATE}>
        expires {fmtTime(k.expires_at)}
      </Badge>
    );
  return (
    <Badge color="teal" variant="light" styles={NO_TRUNCATE}>
      active
    </Badge>
  );
}

/** Merchant API keys (owners and admins only: the route table hides the page from members). */
export default function ApiKeysPage(): ReactNode {
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: KEYS, queryFn: () => unwrap(api.GET('/api/v1/api-keys')) });
  const [creating, setCreating] = useState(false);
  const [rotating, setRotating] = useState<ApiKey | null>(null);
  // The secret lives only here, only while its dialog is open.
  const [shown, setShown] = useState<{ key: WithSecret; rotated: boolean } | null>(null);
  const refresh = (): Promise<void> => qc.invalidateQueries({ queryKey: KEYS });

  return (
    <>
      <PageTitle title="API keys">
        <Button onClick={() => setCreating(true)}>Create API key</Button>
      </PageTitle>
      <Text c="dimmed" size="sm" mb="md">
        Keys for the merchant API (X-API-Key with an HMAC signature). A key&apos;s secret is shown once, when
        it is created or rotated.
      </Text>
      <QueryState query={keys}>
        {(data) =>
          data.data.length === 0 ? (
            <Empty>No API keys yet.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={760}>
              <Table striped highlightOnHover aria-label="API keys">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Key id</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((k) => (
                    <Table.Tr key={k.id} data-testid={`api-key-${k.key_id}`}>
                      <Table.Td>{k.name}</Table.Td>
                      <Table.Td ff="monospace">{k.key_id}</Table.Td>
                      <Table.Td>{status(k)}</Table.Td>
                      <Table.Td>{fmtTime(k.created_at)}</Table.Td>
                      <Table.Td>{fmtTime(k.last_used_at)}</Table.Td>
                      <Table.Td>
                        {k.active && !k.revoked_at && (
                          <Group gap="xs" justify="flex-end" wrap="nowrap">
                            {!k.expires_at && (
                              <Button
                                size="xs"
                                variant="light"
                                onClick={() => setRotating(k)}
                                aria-label={`Rotate ${k.name}`}
                              >
                                Rotate
                              </Button>
                            )}
                            <ConfirmButton
                              label="Revoke"
                              title={`Revoke ${k.name}?`}
                              message={`Requests signed with ${k.key_id} are refused from now on. This cannot be undone.`}
                              confirmLabel="Revoke key"
                              buttonProps={{ 'aria-label': `Revoke ${k.name}` }}
                              onConfirm={async () => {
                                await unwrap(
                                  api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: k.id } } }),
                                );
                                await refresh();
                              }}
                            />
                          </Group>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>

      <CreateKeyDialog
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(key) => {
          setCreating(false);
          setShown({ key, rotated: false });
          void refresh();
        }}
      />
      <RotateKeyDialog
        apiKey={rotating}
        onClose={() => setRotating(null)}
        onRotated={(key) => {
          setRotating(null);
          setShown({ key, rotated: true });
          void refresh();
        }}
      />
      <Modal
        opened={shown !== null}
        onClose={() => setShown(null)}
        title={shown?.rotated ? 'Key rotated: copy the new secret' : 'API key created: copy its secret'}
        centered
        size="lg"
        closeOnClickOutside={false}
      >
        {shown && (
          <Stack>
            <Alert color="yellow">
              This is the only time the secret is shown. Store it now; paymux keeps only what it needs to
              check signatures.
            </Alert>
            <div>
              <Text size="sm" fw={500}>
                Key id (X-API-Key)
              </Text>
              <CopyValue value={shown.key.key_id} label="key id" />
            </div>
            <div>
              <Text size="sm" fw={500}>
                Secret
              </Text>
              <CopyValue value={shown.key.secret} label="secret" />
            </div>
            <Group justify="flex-end">
              <Button onClick={() => setShown(null)}>I have stored the secret</Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

function CreateKeyDialog({
  opened,
  onClose,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  onCreated: (k: WithSecret) => void;
}): ReactNode {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const key = await unwrap(api.POST('/api/v1/api-keys', { body: { name: name.trim() } as never }));
      setName('');
      onCreated(key);
    } catch (err) {
      setError(fieldErrors(err).name ?? errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Create API key" centered>
      <form onSubmit={(e) => void submit(e)}>
        <Stack>
          <TextInput
            label="Name"
            description="What uses it, e.g. shop backend"
            required
            maxLength={100}
            value={name}
            error={error}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
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

function RotateKeyDialog({
  apiKey,
  onClose,
  onRotated,
}: {
  apiKey: ApiKey | null;
  onClose: () => void;
  onRotated: (k: WithSecret) => void;
}): ReactNode {
  const [overlap, setOverlap] = useState('86400');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const rotate = async (): Promise<void> => {
    if (!apiKey) return;
    setBusy(true);
    setError(null);
    try {
      const key = await unwrap(
        api.POST('/api/v1/api-keys/{id}/rotate', {
          params: { path: { id: apiKey.id } },
          body: { overlap_seconds: Number(overlap) } as never,
        }),
      );
      onRotated(key);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={apiKey !== null} onClose={onClose} title={`Rotate ${apiKey?.name ?? ''}`} centered>
      <Stack>
        <Text size="sm">A new key id and secret replace {apiKey?.key_id}.</Text>
        <Select
          label="The old key"
          data={OVERLAPS}
          value={overlap}
          onChange={(v) => setOverlap(v ?? '86400')}
          allowDeselect={false}
        />
        {error && (
          <Text c="red" size="sm" role="alert">
            {error}
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={busy} onClick={() => void rotate()}>
            Rotate key
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
