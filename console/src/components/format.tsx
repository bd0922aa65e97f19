import { Badge, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** A timestamp from the API (ISO), shown in UTC to the second, with the exact value on hover. */
export function When({ at }: { at: string | null | undefined }): ReactNode {
  if (!at)
    return (
      <Text span c="dimmed">
        —
      </Text>
    );
  return (
    <Text span size="sm" title={at} style={{ whiteSpace: 'nowrap' }}>
      {at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC
    </Text>
  );
}

const STATE_COLORS: Record<string, string> = {
  Pending: 'yellow',
  Paid: 'blue',
  Finished: 'green',
  Refunded: 'grape',
  PartiallyRefunded: 'violet',
  Expired: 'gray',
  Cancelled: 'gray',
  Failed: 'red',
  succeeded: 'green',
  delivered: 'green',
  pending: 'yellow',
  failed: 'red',
};

export function StateBadge({ state }: { state: string | null | undefined }): ReactNode {
  if (!state) return null;
  return (
    <Badge color={STATE_COLORS[state] ?? 'gray'} variant="light" tt="none" miw="max-content">
      {state}
    </Badge>
  );
}

/** A short id (first 8 characters), the full one on hover and for screen readers. */
export function ShortId({ id }: { id: string | null | undefined }): ReactNode {
  if (!id)
    return (
      <Text span c="dimmed">
        —
      </Text>
    );
  return (
    <Text span ff="monospace" size="sm" title={id} aria-label={id}>
      {id.slice(0, 8)}
    </Text>
  );
}
