import {
  Accordion,
  Alert,
  Badge,
  Button,
  Group,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { Empty, ErrorState, Loading, errorText } from '../components/states';
import { PageTitle, fmtTime } from '../components/settings-ui';

type Account = components['schemas']['ProviderAccountResponse'];
type CatalogEntry = components['schemas']['ProviderCatalogEntryResponse'];
type CatalogField = components['schemas']['ProviderCatalogFieldResponse'];

const ACCOUNTS_KEY = ['provider-accounts'] as const;
const SECRET_MASK = '••••';

const humanize = (name: string): string => name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The provider accounts of the tenant: one form per provider, built from the provider catalog. */
export default function ProviderAccountsPage(): ReactNode {
  const catalog = useQuery({
    queryKey: ['provider-catalog'],
    queryFn: () => unwrap(api.GET('/api/v1/providers/catalog')),
    staleTime: Infinity,
  });
  const accounts = useQuery({
    queryKey: ACCOUNTS_KEY,
    queryFn: () => unwrap(api.GET('/api/v1/providers')),
  });

  let body: ReactNode;
  if (catalog.isPending || accounts.isPending) body = <Loading />;
  else if (catalog.error || accounts.error)
    body = (
      <ErrorState
        error={catalog.error ?? accounts.error}
        retry={() => {
          void catalog.refetch();
          void accounts.refetch();
        }}
      />
    );
  else if (catalog.data.data.length === 0)
    body = <Empty>No provider takes an account on this platform.</Empty>;
  else {
    const byProvider = new Map(accounts.data.data.map((a) => [a.provider, a]));
    body = (
      <Accordion variant="separated" multiple>
        {catalog.data.data.map((entry) => {
          const account = byProvider.get(entry.provider);
          return (
            <Accordion.Item
              key={entry.provider}
              value={entry.provider}
              data-testid={`provider-${entry.provider}`}
            >
              <Accordion.Control aria-label={`${entry.display_name} account`}>
                <Group justify="space-between" wrap="wrap" gap="xs" pr="sm">
                  <Text fw={600}>{entry.display_name}</Text>
                  <Group gap={6}>
                    {account ? (
                      <>
                        <Badge color={account.enabled ? 'teal' : 'gray'} variant="light">
                          {account.enabled ? 'enabled' : 'disabled'}
                        </Badge>
                        <Badge color={account.mode === 'live' ? 'orange' : 'blue'} variant="light">
                          {account.mode}
                        </Badge>
                      </>
                    ) : (
                      <Badge color="gray" variant="outline">
                        not set up
                      </Badge>
                    )}
                  </Group>
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <ProviderAccountForm entry={entry} account={account} />
              </Accordion.Panel>
            </Accordion.Item>
          );
        })}
      </Accordion>
    );
  }

  return (
    <>
      <PageTitle title="Provider accounts" />
      <Text c="dimmed" size="sm" mb="md">
        Your accounts at each payment provider. Secret fields are write-only: they are stored encrypted and
        never shown again.
      </Text>
      {body}
    </>
  );
}

function initialValues(entry: CatalogEntry, account: Account | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of entry.fields) {
    const v = account?.credentials[f.name];
    out[f.name] = f.secret || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function ProviderAccountForm({
  entry,
  account,
}: {
  entry: CatalogEntry;
  account: Account | undefined;
}): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const [values, setValues] = useState(() => initialValues(entry, account));
  const [enabled, setEnabled] = useState(account?.enabled ?? true);
  const [mode, setMode] = useState<'live' | 'test'>(account?.mode ?? 'test');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const configured = (f: CatalogField): boolean => account?.credentials[f.name] === SECRET_MASK;

  if (!session.canOperate)
    return (
      <Stack gap="xs">
        {!account && <Text c="dimmed">Not set up. An owner or admin can set it up.</Text>}
        {account &&
          entry.fields.map((f) => (
            <Group key={f.name} gap="xs" wrap="nowrap">
              <Text size="sm" fw={500} miw={160}>
                {humanize(f.name)}
              </Text>
              {f.secret ? (
                <SecretState configured={configured(f)} />
              ) : (
                <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {values[f.name] || '—'}
                </Text>
              )}
            </Group>
          ))}
        {account && (
          <Text size="xs" c="dimmed">
            Updated {fmtTime(account.updated_at)}
          </Text>
        )}
      </Stack>
    );

  const set = (name: string, v: string): void => {
    setValues((prev) => ({ ...prev, [name]: v }));
    setErrors((prev) => Object.fromEntries(Object.entries(prev).filter(([k]) => k !== name)));
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    const credentials: Record<string, string | string[]> = {};
    for (const f of entry.fields) {
      const raw = values[f.name] ?? '';
      if (raw.trim() === '') continue;
      credentials[f.name] =
        f.kind === 'list'
          ? raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : f.kind === 'private_pem' || f.kind === 'public_key'
            ? raw
            : raw.trim();
    }
    try {
      await unwrap(
        api.PUT('/api/v1/providers/{provider}', {
          params: { path: { provider: entry.provider } },
          body: { enabled, mode, credentials },
        }),
      );
      // Secrets are never kept in the page once sent.
      setValues((prev) => {
        const next = { ...prev };
        for (const f of entry.fields) if (f.secret) next[f.name] = '';
        return next;
      });
      await qc.invalidateQueries({ queryKey: ACCOUNTS_KEY });
      notifications.show({ color: 'teal', message: `${entry.display_name} account saved` });
    } catch (err) {
      const byField = fieldErrors(err);
      const known = Object.fromEntries(
        Object.entries(byField).filter(([k]) => entry.fields.some((f) => f.name === k)),
      );
      setErrors(known);
      if (Object.keys(known).length === 0) setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label={`${entry.display_name} account`} noValidate>
      <Stack gap="sm">
        <Group gap="lg" wrap="wrap">
          <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          <Group gap="xs">
            <Text size="sm" id={`${entry.provider}-mode`}>
              Mode
            </Text>
            <SegmentedControl
              aria-labelledby={`${entry.provider}-mode`}
              size="xs"
              value={mode}
              onChange={(v) => setMode(v === 'live' ? 'live' : 'test')}
              data={[
                { value: 'test', label: 'Test' },
                { value: 'live', label: 'Live' },
              ]}
            />
          </Group>
        </Group>
        {account && entry.fields.some((f) => f.secret && configured(f)) && (
          <Text size="xs" c="dimmed">
            Saving replaces the whole account: enter every required secret again.
          </Text>
        )}
        {entry.fields.map((f) => (
          <CredentialInput
            key={f.name}
            field={f}
            value={values[f.name] ?? ''}
            error={errors[f.name]}
            configured={configured(f)}
            onChange={(v) => set(f.name, v)}
          />
        ))}
        {formError && (
          <Alert color="red" role="alert">
            {formError}
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            {account ? `Updated ${fmtTime(account.updated_at)}` : 'Not set up yet'}
          </Text>
          <Button type="submit" loading={busy}>
            Save {entry.display_name} account
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function SecretState({ configured }: { configured: boolean }): ReactNode {
  return configured ? (
    <Badge color="teal" variant="light">
      configured
    </Badge>
  ) : (
    <Text size="sm" c="dimmed">
      not set
    </Text>
  );
}

function CredentialInput({
  field,
  value,
  error,
  configured,
  onChange,
}: {
  field: CatalogField;
  value: string;
  error: string | undefined;
  configured: boolean;
  onChange: (v: string) => void;
}): ReactNode {
  const label = configured ? (
    <>
      {humanize(field.name)}{' '}
      <Badge size="xs" color="teal" variant="light" component="span">
        configured
      </Badge>
    </>
  ) : (
    humanize(field.name)
  );
  const description = [
    // A plain text field's kind says nothing ("value").
    field.kind === 'text' ? null : field.description,
    field.kind === 'list' ? 'comma-separated' : null,
    field.secret ? (configured ? 'write-only: enter a new value to replace it' : 'write-only') : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const common = {
    label,
    description,
    error,
    required: field.required,
    name: field.name,
  };
  if (field.kind === 'amount_unit')
    return (
      <Select
        {...common}
        data={['atomic', 'decimal']}
        value={value || null}
        onChange={(v) => onChange(v ?? '')}
        clearable={!field.required}
      />
    );
  if (field.kind === 'private_pem' || field.kind === 'public_key')
    return (
      <Textarea
        {...common}
        autosize
        minRows={2}
        placeholder={configured ? 'configured' : undefined}
        autoComplete="off"
        maxRows={8}
        styles={{ input: { fontFamily: 'monospace' } }}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
    );
  if (field.secret)
    return (
      <PasswordInput
        {...common}
        // Mantine marks other inputs aria-invalid on an error, not this one.
        aria-invalid={!!error}
        autoComplete="off"
        placeholder={configured ? 'configured' : undefined}
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
    );
  return <TextInput {...common} value={value} onChange={(e) => onChange(e.currentTarget.value)} />;
}
