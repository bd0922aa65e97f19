import { ApiProperty } from '@nestjs/swagger';
import { ApiAmount, ApiDateTime, ListOf, PageOf } from '../common/api-docs';
import { toJsonNumber } from '../common/money';
import { isoMicros } from '../common/time';
import type { Application } from './application.entity';
import type { LedgerEntry, LedgerKind } from './ledger-entry.entity';

export class ApplicationResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'My app' })
  name!: string;

  @ApiAmount(500, { description: 'credits' })
  balance!: number;

  @ApiDateTime()
  created_at!: string;

  @ApiDateTime()
  updated_at!: string;
}

export class ApplicationListResponse extends ListOf(ApplicationResponse) {}

const LEDGER_KINDS: readonly LedgerKind[] = ['credit', 'usage', 'refund'];

/** One movement of an application's credits. */
export class LedgerEntryResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  application_id!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  order_id!: string | null;

  @ApiProperty({ enum: LEDGER_KINDS, example: 'usage' })
  kind!: LedgerKind;

  @ApiProperty({ type: String, nullable: true, description: 'the usage reference or the refund id' })
  reference!: string | null;

  @ApiAmount(-10, { description: 'credits; negative for a debit' })
  amount!: number;

  @ApiAmount(490)
  balance_after!: number;

  @ApiDateTime()
  created_at!: string;
}

export class LedgerPageResponse extends PageOf(LedgerEntryResponse) {}

export const toApplicationResponse = (a: Application): ApplicationResponse => ({
  id: a.id,
  name: a.name,
  balance: toJsonNumber(a.balance),
  created_at: isoMicros(a.createdAt),
  updated_at: isoMicros(a.updatedAt),
});

export const toLedgerEntryResponse = (l: LedgerEntry): LedgerEntryResponse => ({
  id: l.id,
  application_id: l.applicationId,
  order_id: l.orderId,
  kind: l.kind,
  reference: l.reference,
  amount: toJsonNumber(l.amount),
  balance_after: toJsonNumber(l.balanceAfter),
  created_at: isoMicros(l.createdAt),
});
