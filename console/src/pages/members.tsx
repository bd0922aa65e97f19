import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useSession, type Session } from '../api/session';
import { api, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { ConfirmButton, CopyValue, fmtTime, NO_TRUNCATE, PageTitle } from '../components/settings-ui';
import { Empty, QueryState, errorText } from '../components/states';

type S = components['schemas'];
type Member = S['MemberResponse'];
type Role = Member['role'];
type InvitationStatus = S['InvitationResponse']['status'];
const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

const MEMBERS = ['members'] as const;
const INVITATIONS = ['invitations'] as const;

/** Roles this session may hand out: only an owner (or an operator) grants or takes `owner`. */
const grantable = (s: Session): Role[] =>
  s.operator || s.me.role === 'owner' ? [...ROLES] : ROLES.filter((r) => r !== 'owner');

/** The tenant's members (everyone sees them) and invitations (owners and admins). */
export default function MembersPage(): ReactNode {
  const session = useSession();
  return (
    <>
      <PageTitle title="Members" />
      <Stack gap="lg">
        <MembersTable />
        {session.canOperate && <Invitations />}
      </Stack>
    </>
  );
}

function MembersTable(): ReactNode {
  const session = useSession();
  const list = useQuery({ queryKey: MEMBERS, queryFn: () => unwrap(api.GET('/api/v1/members')) });
  return (
    <QueryState query={list}>
      {(data) =>
        data.data.length === 0 ? (
          <Empty>No members.</Empty>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table striped aria-label="Members">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Member since</Table.Th>
                  {session.canOperate && (
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.data.map((m) => (
                  <MemberRow key={m.user_id} m={m} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )
      }
    </QueryState>
  );
}

function MemberRow({ m }: { m: Member }): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const roles = grantable(session);
  const isSelf = m.user_id === session.me.user.id;
  // An admin may not touch an owner's role (only an owner grants or takes `owner`).
  const mayChange = session.canOperate && roles.includes(m.role);
  const change = async (role: Role): Promise<void> => {
    setError(null);
    try {
      await unwrap(
        api.PATCH('/api/v1/members/{user_id}', { params: { path: { user_id: m.user_id } }, body: { role } }),
      );
      notifications.show({ color: 'teal', message: `${m.email} is now ${role}` });
      await qc.invalidateQueries({ queryKey: MEMBERS });
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <Table.Tr data-testid={`member-${m.email}`}>
      <Table.Td>
        {m.email}
        {isSelf && (
          <Badge ml="xs" size="xs" variant="outline">
            you
          </Badge>
        )}
      </Table.Td>
      <Table.Td>{m.name ?? '—'}</Table.Td>
      <Table.Td>
        {mayChange ? (
          <Select
            size="xs"
            w={120}
            aria-label={`Role of ${m.email}`}
            data={roles}
            value={m.role}
            allowDeselect={false}
            error={error}
            onChange={(v) => v && v !== m.role && void change(v as Role)}
          />
        ) : (
          <Badge variant="light" styles={NO_TRUNCATE}>
            {m.role}
          </Badge>
        )}
      </Table.Td>
      <Table.Td>{fmtTime(m.created_at)}</Table.Td>
      {session.canOperate && (
        <Table.Td>
          {mayChange && (
            <Group justify="flex-end">
              <ConfirmButton
                label={isSelf ? 'Leave' : 'Remove'}
                title={`Remove ${m.email}?`}
                message="They lose access to this tenant at once: their sessions and tokens for it stop working."
                confirmLabel="Remove member"
                buttonProps={{ 'aria-label': `Remove ${m.email}` }}
                onConfirm={async () => {
                  await unwrap(
                    api.DELETE('/api/v1/members/{user_id}', { params: { path: { user_id: m.user_id } } }),
                  );
                  await qc.invalidateQueries({ queryKey: MEMBERS });
                }}
              />
            </Group>
          )}
        </Table.Td>
      )}
    </Table.Tr>
  );
}

const STATUS_COLOR: Record<InvitationStatus, string> = {
  pending: 'yellow',
  accepted: 'teal',
  revoked: 'gray',
  expired: 'gray',
};

function Invitations(): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: INVITATIONS, queryFn: () => unwrap(api.GET('/api/v1/invitations')) });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<S['InvitationCreatedResponse'] | null>(null);

  const invite = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    setCreated(null);
    try {
      const inv = await unwrap(api.POST('/api/v1/invitations', { body: { email: email.trim(), role } }));
      setCreated(inv);
      setEmail('');
      await qc.invalidateQueries({ queryKey: INVITATIONS });
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      if (!byField.email && !byField.role) setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        Invitations
      </Title>
      <form onSubmit={(e) => void invite(e)} aria-label="Invite a member" noValidate>
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label="Email"
            type="email"
            required
            value={email}
            error={errors.email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            style={{ flex: 1, minWidth: 220 }}
          />
          <Select
            label="Role"
            w={140}
            data={grantable(session)}
            value={role}
            allowDeselect={false}
            error={errors.role}
            onChange={(v) => v && setRole(v as Role)}
          />
          <Button type="submit" loading={busy} mt={25} disabled={email.trim() === ''}>
            Invite
          </Button>
        </Group>
      </form>
      {formError && (
        <Alert color="red" role="alert" mt="sm">
          {formError}
        </Alert>
      )}
      {created && (
        <Alert
          color="teal"
          mt="sm"
          title={`Invitation for ${created.email} created`}
          withCloseButton
          onClose={() => setCreated(null)}
        >
          <Stack gap="xs">
            <Text size="sm">
              paymux sends no mail: give this link to {created.email}. It works once, until{' '}
              {fmtTime(created.expires_at)}.
            </Text>
            <CopyValue value={created.accept_url} label="invitation link" />
          </Stack>
        </Alert>
      )}
      <QueryState query={list}>
        {(data) =>
          data.data.length === 0 ? (
            <Empty>No invitations yet.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={720} mt="md">
              <Table striped aria-label="Invitations">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Email</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Invited by</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((inv) => (
                    <Table.Tr key={inv.id} data-testid={`invitation-${inv.email}`}>
                      <Table.Td>{inv.email}</Table.Td>
                      <Table.Td>{inv.role}</Table.Td>
                      <Table.Td>
                        <Badge color={STATUS_COLOR[inv.status]} variant="light" styles={NO_TRUNCATE}>
                          {inv.status}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{inv.invited_by_email ?? '—'}</Table.Td>
                      <Table.Td>{fmtTime(inv.expires_at)}</Table.Td>
                      <Table.Td>
                        {inv.status === 'pending' && (
                          <Group justify="flex-end">
                            <ConfirmButton
                              label="Revoke"
                              title={`Revoke the invitation for ${inv.email}?`}
                              message="Its link stops working."
                              confirmLabel="Revoke invitation"
                              buttonProps={{ 'aria-label': `Revoke invitation for ${inv.email}` }}
                              onConfirm={async () => {
                                await unwrap(
                                  api.DELETE('/api/v1/invitations/{id}', {
                                    params: { path: { id: inv.id } },
                                  }),
                                );
                                await qc.invalidateQueries({ queryKey: INVITATIONS });
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
    </Card>
  );
}
