import type { MigrationInterface } from 'typeorm';
import { Init1795322106079 } from './1795322106079-Init';
import { ProviderAccounts1795326475988 } from './1795326475988-ProviderAccounts';
import { FxRatesAndAuditLog1795327041835 } from './1795327041835-FxRatesAndAuditLog';

/** Every migration, in order. `npm run migration:generate` writes a new file; add its class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  Init1795322106079,
  ProviderAccounts1795326475988,
  FxRatesAndAuditLog1795327041835,
];
