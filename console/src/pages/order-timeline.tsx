import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { DataTable } from '../components/data-table';
import { ShortId, StateBadge, When } from '../components/format';
import { formatAmount, Money } from '../components/money';
import { errorText, QueryState } from '../components/states';

type T = components['schemas']['AdminOrderTimelineResponse'];
const c = {
  transitions: createColumnHelper<T['transitions'][number]>(),
  payments: createColumnHelper<T['payments'][number]>(),
  events: createColumnHelper<T['provider_events'][number]>(),
  ledger: createColumnHelper<T['ledger_entries'][number]>(),
  refunds: createColumnHelper<T['refunds'][number]>(),
  notifications: createColumnHelper<T['notifications'][number]>(),
  audit: createColumnHelper<T['audit_entries'][number]>(),
};

function Section({ title, children }: { title: string; children: ReactNode }): ReactNode {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={3} size="h4" mb="xs">
        {title}
      </Title>
      {children}
    </Card>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text component="div" size="sm">
        {children}
      </Text>
    </div>
  );
}

function RefundDialog({
  opened,
  onClose,
  orderId,
  currency,
}: {
  opened: boolean;
  onClose: () => void;
  orderId: string;
  currency: string | null;
}): ReactNode {
  const { operator } = useSession();
  const qc = useQueryClient();
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  // One key per dialog: a retried submit is the same refund, not a second one.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const refund = useMutation({
    mutationFn: () =>
      unwrap(
        operator
          ? api.POST('/api/v1/admin/orders/{id}/refunds', {
              params: { path: { id: orderId }, header: { 'Idempotency-Key': key } },
              body: {
                amount: amount.trim() || undefined,
                reason: reason.trim(),
                ...(force ? { force: true } : {}),
              },
            })
          : api.POST('/api/v1/orders/{id}/refunds', {
              params: { path: { id: orderId }, header: { 'Idempotency-Key': key } },
              body: { amount: amount.trim() || undefined, reason: reason.trim() },
            }),
      ),
    onSuccess: async (r) => {
      notifications.show({
        color: 'green',
        title: 'Refund requested',
        message: `${formatAmount(r.amount, r.currency)} ${r.currency}: ${r.status}`,
      });
      setAmount('');
      setReason('');
      setForce(false);
      setKey(crypto.randomUUID());
      onClose();
      await qc.invalidateQueries({ queryKey: ['timeline', orderId] });
    },
  });
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    refund.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title="Refund this order">
      <form onSubmit={submit}>
        <Stack>
          {refund.error && (
            <Alert color="red" role="alert" title="Refund refused">
              {errorText(refund.error)}
            </Alert>
          )}
          <TextInput
            label={`Amount${currency ? ` (${currency})` : ''}`}
            description="Leave empty to refund what is left."
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
          />
          <Textarea
            label="Reason"
            required
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
          />
          {operator && (
            <Checkbox
              label="Force (the application's balance may go below zero)"
              checked={force}
              onChange={(e) => setForce(e.currentTarget.checked)}
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
            <Button type="submit" color="red" loading={refund.isPending} disabled={!reason.trim()}>
              Refund
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function Actions({ t }: { t: T }): ReactNode {
  const { operator, canOperate } = useSession();
  const qc = useQueryClient();
  const [refundOpen, setRefundOpen] = useState(false);
  const id = t.order.id;
  const refresh = (): Promise<void> => qc.invalidateQueries({ queryKey: ['timeline', id] });
  const fail = (title: string) => (err: unknown) =>
    notifications.show({ color: 'red', title, message: errorText(err) });
  const cancel = useMutation({
    mutationFn: (): Promise<unknown> =>
      operator
        ? unwrap(api.POST('/api/v1/admin/orders/{id}/cancel', { params: { path: { id } } }))
        : unwrap(api.POST('/api/v1/orders/{id}/cancel', { params: { path: { id } } })),
    onSuccess: async () => {
      notifications.show({ color: 'green', message: 'Order cancelled' });
      await refresh();
    },
    onError: fail('Cancel refused'),
  });
  const reconcile = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/admin/orders/{id}/reconcile', { params: { path: { id } } })),
    onSuccess: async (r) => {
      notifications.show({ message: `Reconciled: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}` });
      await refresh();
    },
    onError: fail('Reconcile failed'),
  });
  if (!canOperate) return null;
  const state = t.order.state;
  const refundable = state === 'Finished' || state === 'PartiallyRefunded' || state === 'Paid';
  return (
    <Group gap="xs">
      {refundable && (
        <Button color="red" variant="light" onClick={() => setRefundOpen(true)}>
          Refund…
        </Button>
      )}
      {state === 'Pending' && (
        <Button
          variant="light"
          loading={cancel.isPending}
          onClick={() => {
            if (window.confirm('Cancel this order? The payer can no longer pay it.')) cancel.mutate();
          }}
        >
          Cancel order
        </Button>
      )}
      {operator && (
        <Button variant="default" loading={reconcile.isPending} onClick={() => reconcile.mutate()}>
          Reconcile now
        </Button>
      )}
      <RefundDialog
        opened={refundOpen}
        onClose={() => setRefundOpen(false)}
        orderId={id}
        currency={t.order.currency ?? null}
      />
    </Group>
  );
}

function ResendButton({ notificationId, orderId }: { notificationId: string; orderId: string }): ReactNode {
  const { operator } = useSession();
  const qc = useQueryClient();
  const resend = useMutation({
    mutationFn: () =>
      unwrap(
        operator
          ? api.POST('/api/v1/admin/notifications/{id}/resend', { params: { path: { id: notificationId } } })
          : api.POST('/api/v1/notifications/{id}/resend', { params: { path: { id: notificationId } } }),
      ),
    onSuccess: async () => {
      notifications.show({ color: 'green', message: 'Notification queued again' });
      await qc.invalidateQueries({ queryKey: ['timeline', orderId] });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'Resend refused', message: errorText(err) }),
  });
  return (
    <Button size="compact-xs" variant="light" loading={resend.isPending} onClick={() => resend.mutate()}>
      Resend
    </Button>
  );
}

function TimelineView({ t }: { t: T }): ReactNode {
  const { canOperate, operator } = useSession();
  const o = t.order;
  const columns1 = [
    c.transitions.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.transitions.accessor('from_state', {
      header: 'From',
      cell: (v) => <StateBadge state={v.getValue()} />,
    }),
    c.transitions.accessor('to_state', {
      header: 'To',
      cell: (v) => <StateBadge state={v.getValue()} />,
    }),
    c.transitions.accessor('reason', { header: 'Reason' }),
  ];
  const columns2 = [
    c.payments.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.payments.accessor('provider', { header: 'Provider' }),
    c.payments.accessor('status', {
      header: 'Status',
      cell: (v) => <StateBadge state={v.getValue()} />,
    }),
    c.payments.accessor('amount', {
      header: 'Amount',
      cell: (v) => <Money amount={v.getValue()} currency={v.row.original.currency} />,
    }),
    c.payments.accessor('provider_ref', { header: 'Provider ref', cell: (v) => v.getValue() ?? '—' }),
    c.payments.accessor('flag_reason', { header: 'Flag', cell: (v) => v.getValue() ?? '' }),
  ];
  const columns3 = [
    c.events.accessor('received_at', { header: 'Received', cell: (v) => <When at={v.getValue()} /> }),
    c.events.accessor('type', { header: 'Type' }),
    c.events.accessor('outcome', { header: 'Outcome' }),
    c.events.accessor('mismatch', { header: 'Mismatch', cell: (v) => (v.getValue() ? 'yes' : '') }),
    c.events.accessor('note', { header: 'Note', cell: (v) => v.getValue() ?? '' }),
  ];
  const columns4 = [
    c.ledger.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.ledger.accessor('kind', { header: 'Kind' }),
    c.ledger.accessor('amount', {
      header: 'Credits',
      cell: (v) => <Text ff="monospace">{v.getValue()}</Text>,
    }),
    c.ledger.accessor('balance_after', { header: 'Balance after' }),
    c.ledger.accessor('reference', { header: 'Reference', cell: (v) => v.getValue() ?? '' }),
  ];
  const columns5 = [
    c.refunds.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.refunds.accessor('status', {
      header: 'Status',
      cell: (v) => <StateBadge state={v.getValue()} />,
    }),
    c.refunds.accessor('amount', {
      header: 'Amount',
      cell: (v) => <Money amount={v.getValue()} currency={v.row.original.currency} />,
    }),
    c.refunds.accessor('credits', { header: 'Credits' }),
    c.refunds.accessor('reason', { header: 'Reason' }),
    c.refunds.accessor('forced', { header: 'Forced', cell: (v) => (v.getValue() ? 'yes' : '') }),
    c.refunds.accessor('failure_message', { header: 'Failure', cell: (v) => v.getValue() ?? '' }),
  ];
  const columns6 = [
    c.notifications.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.notifications.accessor('event', { header: 'Event' }),
    c.notifications.accessor('status', {
      header: 'Status',
      cell: (v) => <StateBadge state={v.getValue()} />,
    }),
    c.notifications.accessor('attempts', { header: 'Attempts' }),
    c.notifications.accessor('url', { header: 'URL' }),
    ...(canOperate
      ? [
          c.notifications.display({
            id: 'resend',
            header: 'Action',
            cell: (v) => <ResendButton notificationId={v.row.original.id} orderId={o.id} />,
          }),
        ]
      : []),
  ];
  const columns7 = [
    c.audit.accessor('created_at', { header: 'At', cell: (v) => <When at={v.getValue()} /> }),
    c.audit.accessor('action', { header: 'Action' }),
    c.audit.accessor('actor_id', { header: 'Actor', cell: (v) => <ShortId id={v.getValue()} /> }),
    c.audit.accessor('data', {
      header: 'Data',
      cell: (v) => (
        <Code block fz="xs" maw={360} style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
          {JSON.stringify(v.getValue())}
        </Code>
      ),
    }),
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Anchor component={Link} to="/orders" size="sm">
            ← Orders
          </Anchor>
          <Title order={2}>
            Order <Code fz="inherit">{o.id}</Code>
          </Title>
        </div>
        <Actions t={t} />
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          <Field label="State">
            <StateBadge state={o.state} /> {o.flagged && <Badge color="red">flagged</Badge>}
          </Field>
          <Field label="Amount">
            <Money amount={o.price} currency={o.currency} />
          </Field>
          <Field label="Credits (remaining)">
            {o.amount} ({o.remaining_amount})
          </Field>
          <Field label="Merchant order no">{o.merchant_order_no ?? '—'}</Field>
          <Field label="Pay way / pay id">
            {o.pay_way} <ShortId id={o.pay_id} />
          </Field>
          {o.charge_currency && (
            <Field label="Charged">
              <Money amount={o.charge_amount} currency={o.charge_currency} /> (rate {o.fx_rate ?? '—'})
            </Field>
          )}
          {operator && (
            <Field label="Tenant">
              <Anchor component={Link} to={`/tenants/${o.tenant_id}`}>
                <ShortId id={o.tenant_id} />
              </Anchor>
            </Field>
          )}
          <Field label="Created">
            <When at={o.created_at} />
          </Field>
          <Field label="Paid">
            <When at={o.paid_at} />
          </Field>
        </SimpleGrid>
      </Card>
      <Section title="Transitions">
        <DataTable
          caption="State transitions, oldest first"
          data={t.transitions}
          rowKey={(r) => r.id}
          columns={columns1}
        />
      </Section>
      <Section title="Payment attempts">
        <DataTable caption="Payment attempts" data={t.payments} rowKey={(r) => r.id} columns={columns2} />
      </Section>
      <Section title="Provider events">
        <DataTable
          caption="Events received from the provider"
          data={t.provider_events}
          rowKey={(r) => r.id}
          columns={columns3}
        />
      </Section>
      <Section title="Ledger">
        <DataTable
          caption="Ledger entries of this order (credits)"
          data={t.ledger_entries}
          rowKey={(r) => r.id}
          columns={columns4}
        />
      </Section>
      <Section title="Refunds">
        <DataTable
          caption="Refunds"
          data={t.refunds}
          empty="No refunds."
          rowKey={(r) => r.id}
          columns={columns5}
        />
      </Section>
      <Section title="Notifications">
        <DataTable
          caption="Webhook notifications to the merchant"
          data={t.notifications}
          empty="No notifications."
          rowKey={(r) => r.id}
          columns={columns6}
        />
      </Section>
      <Section title="Audit entries">
        <DataTable
          caption="Audit log entries about this order"
          data={t.audit_entries}
          empty="No audit entries."
          rowKey={(r) => r.id}
          columns={columns7}
        />
      </Section>
    </Stack>
  );
}

export default function OrderTimelinePage(): ReactNode {
  const { id = '' } = useParams();
  const { operator } = useSession();
  const timeline = useQuery({
    queryKey: ['timeline', id, operator],
    queryFn: () =>
      unwrap(
        operator
          ? api.GET('/api/v1/admin/orders/{id}/timeline', { params: { path: { id } } })
          : api.GET('/api/v1/orders/{id}/timeline', { params: { path: { id } } }),
      ),
  });
  return <QueryState query={timeline}>{(t) => <TimelineView t={t} />}</QueryState>;
}
