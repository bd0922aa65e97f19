import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { api, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { fmtTime, NO_TRUNCATE, PageTitle } from '../components/settings-ui';
import { Empty, QueryState, errorText } from '../components/states';

type Settings = components['schemas']['TenantSettingsResponse'];
type Delivery = components['schemas']['NotificationResponse'];

const SETTINGS = ['tenant-settings'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The tenant's webhook endpoint and order lifetime, and an order's notification deliveries. */
export default function WebhooksPage(): ReactNode {
  const settings = useQuery({
    queryKey: SETTINGS,
    queryFn: () => unwrap(api.GET('/api/v1/tenant/settings')),
  });
  return (
    <>
      <PageTitle title="Webhooks" />
      <Stack gap="lg">
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">
            Settings
          </Title>
          <QueryState query={settings}>
            {(s) => <SettingsForm key={JSON.stringify(s)} settings={s} />}
          </QueryState>
        </Card>
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">
            Deliveries
          </Title>
          <Deliveries />
        </Card>
      </Stack>
    </>
  );
}

function SettingsForm({ settings }: { settings: Settings }): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const [url, setUrl] = useState(settings.webhook_url ?? '');
  const [ttl, setTtl] = useState<string | number>(settings.order_ttl_seconds ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const readOnly = !session.canOperate;

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    try {
      const saved = await unwrap(
        api.PATCH('/api/v1/tenant/settings', {
          body: {
            webhook_url: url.trim() === '' ? null : url.trim(),
            order_ttl_seconds: ttl === '' ? null : Number(ttl),
          },
        }),
      );
      qc.setQueryData(SETTINGS, saved);
      notifications.show({ color: 'teal', message: 'Webhook settings saved' });
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      if (!byField.webhook_url && !byField.order_ttl_seconds) setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Webhook settings" noValidate>
      <Stack gap="sm" maw={640}>
        <TextInput
          label="Webhook URL"
          description="Receives a signed POST at each state change of your platform orders; empty switches it off"
          placeholder="https://shop.example/paymux-webhook"
          value={url}
          readOnly={readOnly}
          error={errors.webhook_url}
          onChange={(e) => {
            setUrl(e.currentTarget.value);
            setErrors(({ webhook_url: _w, ...rest }) => rest);
          }}
        />
        <NumberInput
          label="Merchant-API order lifetime (seconds)"
          description="60 s to 7 days; empty: the platform default"
          min={60}
          max={604800}
          allowDecimal={false}
          allowNegative={false}
          value={ttl}
          readOnly={readOnly}
          error={errors.order_ttl_seconds}
          onChange={(v) => {
            setTtl(v);
            setErrors(({ order_ttl_seconds: _t, ...rest }) => rest);
          }}
        />
        {formError && (
          <Alert color="red" role="alert">
            {formError}
          </Alert>
        )}
        {!readOnly && (
          <Group>
            <Button type="submit" loading={busy}>
              Save settings
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}

function Deliveries(): ReactNode {
  const [params, setParams] = useSearchParams();
  const orderId = params.get('order_id') ?? '';
  const [input, setInput] = useState(orderId);
  const [inputError, setInputError] = useState<string | null>(null);
  const valid = UUID.test(orderId);
  const list = useQuery({
    queryKey: ['notifications', orderId],
    queryFn: () => unwrap(api.GET('/api/v1/notifications', { params: { query: { order_id: orderId } } })),
    enabled: valid,
  });

  const search = (e: FormEvent): void => {
    e.preventDefault();
    const v = input.trim();
    if (!UUID.test(v)) {
      setInputError('Enter an order id (a UUID)');
      return;
    }
    setInputError(null);
    setParams((p) => {
      p.set('order_id', v);
      return p;
    });
  };

  return (
    <Stack gap="sm">
      <form onSubmit={search} aria-label="Find deliveries">
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Order id"
            description="The deliveries of one order's notifications, with every attempt"
            placeholder="00000000-0000-0000-0000-000000000000"
            value={input}
            error={inputError}
            onChange={(e) => setInput(e.currentTarget.value)}
            style={{ flex: 1, minWidth: 260 }}
          />
          <Button type="submit" variant="light">
            Show deliveries
          </Button>
        </Group>
      </form>
      {!valid ? (
        <Text c="dimmed" size="sm">
          Enter an order id to see its deliveries (an order&apos;s timeline links here too).
        </Text>
      ) : (
        <QueryState query={list}>
          {(data) =>
            data.data.length === 0 ? (
              <Empty>No notifications for this order.</Empty>
            ) : (
              <Stack gap="sm">
                {data.data.map((n) => (
                  <DeliveryCard key={n.id} n={n} orderId={orderId} />
                ))}
              </Stack>
            )
          }
        </QueryState>
      )}
    </Stack>
  );
}

const STATUS_COLOR: Record<Delivery['status'], string> = {
  delivered: 'teal',
  pending: 'yellow',
  failed: 'red',
};

function DeliveryCard({ n, orderId }: { n: Delivery; orderId: string }): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resend = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/api/v1/notifications/{id}/resend', { params: { path: { id: n.id } } }));
      notifications.show({ color: 'teal', message: `${n.event} queued again` });
      await qc.invalidateQueries({ queryKey: ['notifications', orderId] });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder padding="sm" data-testid={`delivery-${n.id}`}>
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Group gap="xs">
          <Text fw={600}>{n.event}</Text>
          <Badge color={STATUS_COLOR[n.status]} variant="light" styles={NO_TRUNCATE}>
            {n.status}
          </Badge>
          <Text size="sm" c="dimmed">
            {n.attempts} attempt{n.attempts === 1 ? '' : 's'}
          </Text>
        </Group>
        {session.canOperate && (
          <Button size="xs" variant="light" loading={busy} onClick={() => void resend()}>
            Resend
          </Button>
        )}
      </Group>
      <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
        {n.url}
      </Text>
      <Text size="xs" c="dimmed">
        Created {fmtTime(n.created_at)} · delivered {fmtTime(n.delivered_at)} · next attempt{' '}
        {fmtTime(n.next_attempt_at)}
      </Text>
      {error && (
        <Text c="red" size="sm" role="alert">
          {error}
        </Text>
      )}
      {n.attempt_log && n.attempt_log.length > 0 && (
        <Table.ScrollContainer minWidth={560} mt="xs">
          <Table fz="sm" aria-label={`Attempts of ${n.event}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>At</Table.Th>
                <Table.Th>HTTP</Table.Th>
                <Table.Th>Latency</Table.Th>
                <Table.Th>Result</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {n.attempt_log.map((a) => (
                <Table.Tr key={a.attempt}>
                  <Table.Td>{a.attempt}</Table.Td>
                  <Table.Td>{fmtTime(a.attempted_at)}</Table.Td>
                  <Table.Td>{a.status_code ?? '—'}</Table.Td>
                  <Table.Td>{a.latency_ms} ms</Table.Td>
                  <Table.Td>
                    {a.success ? (
                      <Text span c="teal" size="sm">
                        ok
                      </Text>
                    ) : (
                      <Text span c="red" size="sm">
                        {a.error ?? a.body_excerpt ?? 'failed'}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
