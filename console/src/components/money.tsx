import { Text } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * An amount exactly as the API sent it (a decimal string, or a JSON number the API already rounded to
 * the currency's scale), with its currency. Never parsed to a float.
 */
export function Money({
  amount,
  currency,
}: {
  amount: string | number | null | undefined;
  currency?: string | null;
}): ReactNode {
  if (amount === null || amount === undefined)
    return (
      <Text span c="dimmed">
        —
      </Text>
    );
  return (
    <Text span ff="monospace" size="sm" style={{ whiteSpace: 'nowrap' }}>
      {String(amount)} {currency ?? ''}
    </Text>
  );
}
