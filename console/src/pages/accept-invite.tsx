import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { PublicCard } from '../components/public-card';
import { fmtTime } from '../components/settings-ui';
import { Loading, errorText } from '../components/states';

/** /admin/accept-invite?token=: what the invitation is for, then accept it with a password. */
export default function AcceptInvitePage(): ReactNode {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const preview = useQuery({
    queryKey: ['invitation-preview', token],
    queryFn: () => unwrap(api.GET('/api/v1/invitations/preview', { params: { query: { token } } })),
    enabled: token !== '',
    retry: false,
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [accepted, setAccepted] = useState<components['schemas']['InvitationAcceptedResponse'] | null>(null);

  if (token === '')
    return (
      <PublicCard title="Invitation">
        <Alert color="red" role="alert">
          This link has no invitation token. Ask whoever invited you for the full link.
        </Alert>
      </PublicCard>
    );
  if (preview.isPending)
    return (
      <PublicCard title="Invitation">
        <Loading label="Checking the invitation…" />
      </PublicCard>
    );
  if (preview.error)
    return (
      <PublicCard title="Invitation">
        <Alert color="red" role="alert" title="This invitation cannot be used">
          {preview.error instanceof ApiError && preview.error.status === 404
            ? 'It is unknown, expired, revoked or already used. Ask for a new invitation.'
            : errorText(preview.error)}
        </Alert>
        <Anchor component={Link} to="/login">
          Go to sign in
        </Anchor>
      </PublicCard>
    );

  const inv = preview.data;
  if (accepted)
    return (
      <PublicCard title="Invitation accepted">
        <Alert color="teal" role="status">
          You are now {accepted.role} of {accepted.tenant_name}.
        </Alert>
        <Button component={Link} to="/login">
          Sign in
        </Button>
      </PublicCard>
    );

  const newAccount = !inv.account_exists;
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    if (newAccount && password !== confirm) {
      setErrors({ confirm: 'The two passwords differ' });
      return;
    }
    setBusy(true);
    try {
      setAccepted(
        await unwrap(
          api.POST('/api/v1/invitations/accept', {
            body: { token, password, name: newAccount && name.trim() ? name.trim() : undefined },
          }),
        ),
      );
    } catch (err) {
      const byField = fieldErrors(err);
      if (err instanceof ApiError && err.code === 'invalid_credentials')
        byField.password = 'That is not the password of this account';
      setErrors(byField);
      if (!byField.password && !byField.name) setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <PublicCard
      title={`Join ${inv.tenant_name}`}
      subtitle={`You are invited as ${inv.role}. The invitation expires ${fmtTime(inv.expires_at)}.`}
    >
      <form onSubmit={(e) => void submit(e)} aria-label="Accept the invitation" noValidate>
        <Stack>
          <TextInput label="Email" value={inv.email} readOnly />
          {newAccount ? (
            <>
              <Text size="sm">Choose a password for your new paymux account.</Text>
              <TextInput
                label="Your name"
                autoComplete="name"
                value={name}
                error={errors.name}
                onChange={(e) => setName(e.currentTarget.value)}
              />
              <PasswordInput
                label="Password"
                autoComplete="new-password"
                required
                value={password}
                error={errors.password}
                aria-invalid={!!errors.password}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
              <PasswordInput
                label="Repeat the password"
                autoComplete="new-password"
                required
                value={confirm}
                error={errors.confirm}
                aria-invalid={!!errors.confirm}
                onChange={(e) => setConfirm(e.currentTarget.value)}
              />
            </>
          ) : (
            <>
              <Text size="sm">You already have a paymux account: confirm with its password.</Text>
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                required
                value={password}
                error={errors.password}
                aria-invalid={!!errors.password}
                onChange={(e) => setPassword(e.currentTarget.value)}
              />
            </>
          )}
          {formError && (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          )}
          <Button type="submit" loading={busy} disabled={password === ''}>
            Accept invitation
          </Button>
        </Stack>
      </form>
    </PublicCard>
  );
}
