import {
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, fieldErrors, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useSession } from '../api/session';
import { formatAmount, Money } from '../components/money';
import { ConfirmButton, NO_TRUNCATE, PageTitle } from '../components/settings-ui';
import { Empty, QueryState, errorText } from '../components/states';
import { APPLICATIONS } from './applications';

type Package = components['schemas']['PackageResponse'];
type Currency = components['schemas']['CreatePackageDto']['currency'];

const CURRENCIES: readonly Currency[] = [
  'USD',
  'EUR',
  'HKD',
  'CNY',
  'JPY',
  'IDR',
  'THB',
  'VND',
  'USDT',
  'USDC',
  'TRX',
  'BTC',
  'ETH',
];

const DECIMAL = /^\d+(\.\d+)?$/;

/** Price packages: what an order buys (credits) for what price. */
export default function PackagesPage(): ReactNode {
  const session = useSession();
  const qc = useQueryClient();
  const [showInactive, setShowInactive] = useState(false);
  const [editing, setEditing] = useState<Package | 'new' | null>(null);
  const key = ['packages', showInactive] as const;
  const packages = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/packages', {
          params: { query: showInactive ? { include_inactive: 'true' } : {} },
        }),
      ),
  });
  const refresh = (): Promise<void> => qc.invalidateQueries({ queryKey: ['packages'] });

  return (
    <>
      <PageTitle title="Packages">
        {session.canOperate && <Button onClick={() => setEditing('new')}>New package</Button>}
      </PageTitle>
      <Switch
        mb="md"
        label="Show deactivated packages"
        checked={showInactive}
        onChange={(e) => setShowInactive(e.currentTarget.checked)}
      />
      <QueryState query={packages}>
        {(data) =>
          data.data.length === 0 ? (
            <Empty>No packages yet.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={760}>
              <Table striped highlightOnHover aria-label="Packages">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th ta="right">Credits</Table.Th>
                    <Table.Th ta="right">Price</Table.Th>
                    <Table.Th ta="right">Discount</Table.Th>
                    <Table.Th>Custom amount</Table.Th>
                    <Table.Th>Status</Table.Th>
                    {session.canOperate && (
                      <Table.Th>
                        <VisuallyHidden>Actions</VisuallyHidden>
                      </Table.Th>
                    )}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.data.map((p) => (
                    <Table.Tr key={p.id} data-testid={`package-${p.id}`}>
                      <Table.Td>{p.name}</Table.Td>
                      <Table.Td ta="right">
                        <Money amount={p.amount} currency="credits" />
                      </Table.Td>
                      <Table.Td ta="right">
                        <Money amount={p.price} currency={p.currency} />
                      </Table.Td>
                      <Table.Td ta="right" ff="monospace">
                        {String(p.discount)}
                      </Table.Td>
                      <Table.Td>
                        {p.custom_amount ? (
                          <Text size="sm">
                            <Money amount={String(p.custom_amount.unit_price)} currency={p.currency} /> per
                            credit, {String(p.custom_amount.min)}–{String(p.custom_amount.max)}
                          </Text>
                        ) : (
                          '—'
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Badge color={p.active ? 'teal' : 'gray'} variant="light" styles={NO_TRUNCATE}>
                          {p.active ? 'active' : 'deactivated'}
                        </Badge>
                      </Table.Td>
                      {session.canOperate && (
                        <Table.Td>
                          <Group gap="xs" justify="flex-end" wrap="nowrap">
                            <Button
                              size="xs"
                              variant="light"
                              onClick={() => setEditing(p)}
                              aria-label={`Edit ${p.name}`}
                            >
                              Edit
                            </Button>
                            {p.active && (
                              <ConfirmButton
                                label="Delete"
                                title={`Delete ${p.name}?`}
                                message="New orders can no longer buy it; orders that did keep it. It stays listed as deactivated."
                                confirmLabel="Delete package"
                                buttonProps={{ 'aria-label': `Delete ${p.name}` }}
                                onConfirm={async () => {
                                  await unwrap(
                                    api.DELETE('/api/v1/packages/{id}', { params: { path: { id: p.id } } }),
                                  );
                                  await refresh();
                                }}
                              />
                            )}
                          </Group>
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
      {editing !== null && (
        <PackageDialog
          pkg={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void refresh();
          }}
        />
      )}
    </>
  );
}

function PackageDialog({
  pkg,
  onClose,
  onSaved,
}: {
  pkg: Package | null;
  onClose: () => void;
  onSaved: () => void;
}): ReactNode {
  const apps = useQuery({ queryKey: APPLICATIONS, queryFn: () => unwrap(api.GET('/api/v1/applications')) });
  const [name, setName] = useState(pkg?.name ?? '');
  const [amount, setAmount] = useState(pkg ? String(pkg.amount) : '');
  const [price, setPrice] = useState(pkg ? formatAmount(pkg.price, pkg.currency) : '');
  const [currency, setCurrency] = useState<Currency>((pkg?.currency as Currency | undefined) ?? 'USD');
  const [discount, setDiscount] = useState(pkg ? String(pkg.discount) : '1');
  const [applicationId, setApplicationId] = useState<string | null>(pkg?.application_id ?? null);
  const [active, setActive] = useState(pkg?.active ?? true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    // Amounts go as the exact text typed, never through a float.
    const local: Record<string, string> = {};
    if (!DECIMAL.test(amount.trim())) local.amount = 'A decimal number, e.g. 500';
    if (!DECIMAL.test(price.trim())) local.price = 'A decimal number, e.g. 4.99';
    if (!DECIMAL.test(discount.trim())) local.discount = 'A multiplier in (0, 1], e.g. 0.8';
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const body = {
        name: name.trim(),
        amount: amount.trim(),
        price: price.trim(),
        discount: discount.trim(),
      };
      if (pkg)
        await unwrap(
          api.PATCH('/api/v1/packages/{id}', {
            params: { path: { id: pkg.id } },
            body: { ...body, active } as never,
          }),
        );
      else
        await unwrap(
          api.POST('/api/v1/packages', {
            body: { ...body, currency, ...(applicationId ? { application_id: applicationId } : {}) } as never,
          }),
        );
      notifications.show({ color: 'teal', message: `Package ${body.name} saved` });
      onSaved();
    } catch (err) {
      const byField = fieldErrors(err);
      setErrors(byField);
      if (Object.keys(byField).length === 0) setFormError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened onClose={onClose} title={pkg ? `Edit ${pkg.name}` : 'New package'} centered>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Stack gap="sm">
          <TextInput
            label="Name"
            required
            maxLength={100}
            value={name}
            error={errors.name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
          <TextInput
            label="Credits"
            description="What the package buys"
            required
            inputMode="decimal"
            value={amount}
            error={errors.amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
          />
          <Group grow align="flex-start">
            <TextInput
              label="Price"
              description="Before discount, at the currency's scale"
              required
              inputMode="decimal"
              value={price}
              error={errors.price}
              onChange={(e) => setPrice(e.currentTarget.value)}
            />
            <Select
              label="Currency"
              data={[...CURRENCIES]}
              value={currency}
              disabled={pkg !== null}
              allowDeselect={false}
              error={errors.currency}
              onChange={(v) => v && setCurrency(v as Currency)}
            />
          </Group>
          <TextInput
            label="Discount"
            description="Multiplier in (0, 1]: 0.8 is 20% off"
            inputMode="decimal"
            value={discount}
            error={errors.discount}
            onChange={(e) => setDiscount(e.currentTarget.value)}
          />
          {!pkg && (
            <Select
              label="Application"
              description="Only for one application (optional)"
              clearable
              placeholder="Any application"
              data={(apps.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
              value={applicationId}
              error={errors.application_id}
              onChange={setApplicationId}
            />
          )}
          {pkg && (
            <Switch label="Active" checked={active} onChange={(e) => setActive(e.currentTarget.checked)} />
          )}
          {formError && (
            <Text c="red" size="sm" role="alert">
              {formError}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={name.trim() === ''}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
