import { Alert, Button, Grid, Paper, Stack, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { DataTable } from '../components/data-table';
import { When } from '../components/format';
import { PageTitle } from '../components/page-title';
import { errorText, QueryState } from '../components/states';

type Rate = components['schemas']['FxRateResponse'];
const col = createColumnHelper<Rate>();

function SetRateForm(): ReactNode {
  const qc = useQueryClient();
  const [base, setBase] = useState('');
  const [quote, setQuote] = useState('');
  const [rate, setRate] = useState('');
  const put = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/api/v1/admin/fx-rates/{base}/{quote}', {
          params: { path: { base: base.trim().toUpperCase(), quote: quote.trim().toUpperCase() } },
          // The rate goes as the decimal string typed: never through a float.
          body: { rate: rate.trim() as unknown as Record<string, never> },
        }),
      ),
    onSuccess: async (r) => {
      notifications.show({ color: 'green', message: `1 ${r.base} = ${r.rate} ${r.quote}` });
      setRate('');
      await qc.invalidateQueries({ queryKey: ['fx-rates'] });
    },
  });
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    put.mutate();
  };
  return (
    <Paper withBorder p="sm">
      <Title order={3} size="h4" mb="xs">
        Set a rate
      </Title>
      <form onSubmit={submit} aria-label="Set an FX rate">
        <Grid gutter="xs" align="flex-end">
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <TextInput
              label="Base"
              placeholder="USD"
              required
              value={base}
              onChange={(e) => setBase(e.currentTarget.value)}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 6, sm: 3 }}>
            <TextInput
              label="Quote"
              placeholder="CNY"
              required
              value={quote}
              onChange={(e) => setQuote(e.currentTarget.value)}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 4 }}>
            <TextInput
              label="Rate (1 base = rate quote)"
              placeholder="7.1234"
              inputMode="decimal"
              required
              value={rate}
              onChange={(e) => setRate(e.currentTarget.value)}
            />
          </Grid.Col>
          <Grid.Col span={{ base: 12, sm: 2 }}>
            <Button type="submit" loading={put.isPending}>
              Save
            </Button>
          </Grid.Col>
        </Grid>
        {put.error && (
          <Alert color="red" role="alert" mt="xs">
            {errorText(put.error)}
          </Alert>
        )}
      </form>
    </Paper>
  );
}

export default function FxPage(): ReactNode {
  const rates = useQuery({
    queryKey: ['fx-rates'],
    queryFn: () => unwrap(api.GET('/api/v1/admin/fx-rates')),
  });
  const columns = [
    col.accessor('base', { header: 'Base' }),
    col.accessor('quote', { header: 'Quote' }),
    col.accessor('rate', {
      header: 'Rate',
      cell: (c) => <span style={{ fontFamily: 'monospace' }}>{c.getValue()}</span>,
    }),
    col.accessor('updated_by', { header: 'Set by', cell: (c) => c.getValue() ?? '—' }),
    col.accessor('updated_at', { header: 'Updated', cell: (c) => <When at={c.getValue()} /> }),
  ];
  return (
    <Stack>
      <PageTitle>FX rates</PageTitle>
      <SetRateForm />
      <QueryState query={rates}>
        {(res) => (
          <DataTable
            data={res.data}
            columns={columns}
            caption="Exchange rates used to charge in another currency"
            empty="No rates set."
            rowKey={(r) => `${r.base}/${r.quote}`}
          />
        )}
      </QueryState>
    </Stack>
  );
}
