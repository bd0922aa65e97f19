import { Alert, Anchor, Button, PasswordInput, Stack } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, ApiError, fieldErrors, unwrap } from '../api/client';
import { PublicCard } from '../components/public-card';
import { errorText } from '../components/states';

/** /admin/reset-password?token=: set a new password with the link an operator made. */
export default function ResetPasswordPage(): ReactNode {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  if (token === '')
    return (
      <PublicCard title="Reset password">
        <Alert color="red" role="alert">
          This link has no reset token. Ask the operator for the full link.
        </Alert>
      </PublicCard>
    );
  if (done)
    return (
      <PublicCard title="Password changed">
        <Alert color="teal" role="status">
          Your password is changed and your other sessions are signed out.
        </Alert>
        <Button component={Link} to="/login">
          Sign in
        </Button>
      </PublicCard>
    );

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setErrors({});
    setFormError(null);
    if (password !== confirm) {
      setErrors({ confirm: 'The two passwords differ' });
      return;
    }
    setBusy(true);
    try {
      await unwrap(api.POST('/api/v1/auth/password-reset', { body: { token, password } }));
      setDone(true);
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      if (!byField.password)
        setFormError(
          err instanceof ApiError && (err.status === 404 || err.status === 410)
            ? 'This reset link is unknown, expired or already used. Ask the operator for a new one.'
            : errorText(err),
        );
    } finally {
      setBusy(false);
    }
  };

  return (
    <PublicCard title="Reset password" subtitle="Choose a new password for your paymux account.">
      <form onSubmit={(e) => void submit(e)} aria-label="Reset password" noValidate>
        <Stack>
          <PasswordInput
            label="New password"
            autoComplete="new-password"
            required
            value={password}
            error={errors.password}
            aria-invalid={!!errors.password}
            onChange={(e) => setPassword(e.currentTarget.value)}
          />
          <PasswordInput
            label="Repeat the new password"
            autoComplete="new-password"
            required
            value={confirm}
            error={errors.confirm}
            aria-invalid={!!errors.confirm}
            onChange={(e) => setConfirm(e.currentTarget.value)}
          />
          {formError && (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          )}
          <Button type="submit" loading={busy} disabled={password === ''}>
            Set password
          </Button>
          <Anchor component={Link} to="/login" size="sm">
            Back to sign in
          </Anchor>
        </Stack>
      </form>
    </PublicCard>
  );
}
