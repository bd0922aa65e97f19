import { ApiProperty } from '@nestjs/swagger';
import { LedgerEntryResponse } from '../applications/application.response';
import { ApiAmount } from '../common/api-docs';

/** A usage debit: its ledger entry, the balance after it, and whether it replays an earlier one. */
export class UsageResponse extends LedgerEntryResponse {
  @ApiAmount(490)
  balance!: number;

  @ApiProperty({ description: 'true when the same reference was already debited' })
  replayed!: boolean;
}
