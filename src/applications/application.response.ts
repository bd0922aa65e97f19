import { toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Application } from './application.entity';
import type { LedgerEntry } from './ledger-entry.entity';

export const toApplicationResponse = (a: Application): Record<string, unknown> => ({
  id: a.id,
  name: a.name,
  balance: toJsonNumber(a.balance),
  created_at: isoMicros(a.createdAt),
  updated_at: isoMicros(a.updatedAt),
});

export const toLedgerEntryResponse = (l: LedgerEntry): Record<string, unknown> => ({
  id: l.id,
  application_id: l.applicationId,
  order_id: l.orderId,
  kind: l.kind,
  reference: l.reference,
  amount: toJsonNumber(l.amount),
  balance_after: toJsonNumber(l.balanceAfter),
  created_at: isoMicros(l.createdAt),
});
