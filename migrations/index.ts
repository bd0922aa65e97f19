import type { MigrationInterface } from 'typeorm';
import { Init1795322106079 } from './1795322106079-Init';
import { ProviderAccounts1795326475988 } from './1795326475988-ProviderAccounts';
import { FxRatesAndAuditLog1795327041835 } from './1795327041835-FxRatesAndAuditLog';
import { RefundsAndCharges1795514158930 } from './1795514158930-RefundsAndCharges';
import { Routing1795515018000 } from './1795515018000-Routing';
import { MerchantApi1795515496212 } from './1795515496212-MerchantApi';
import { RateLimits1795515782279 } from './1795515782279-RateLimits';
import { Notifications1795516171542 } from './1795516171542-Notifications';
import { TenantSettings1796110387075 } from './1796110387075-TenantSettings';
import { ProviderEventsPerTenant1796110835284 } from './1796110835284-ProviderEventsPerTenant';
import { AddUserDisabledAt1796185423188 } from './1796185423188-AddUserDisabledAt';
import { ApplicationHeldCredits1796202173191 } from './1796202173191-ApplicationHeldCredits';
import { AdminOrderIndexes1796204347116 } from './1796204347116-AdminOrderIndexes';
import { TenantSuspension1796300000000 } from './1796300000000-TenantSuspension';
import { AuditRequestOrigin1796400000000 } from './1796400000000-AuditRequestOrigin';
import { ProviderEventVerified1796500000000 } from './1796500000000-ProviderEventVerified';
import { MembersAndPasswordReset1796510000000 } from './1796510000000-MembersAndPasswordReset';
import { ConsoleSessions1796520000000 } from './1796520000000-ConsoleSessions';

/** Every migration, in order. `npm run migration:generate` writes a new file; add its class here. */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  Init1795322106079,
  ProviderAccounts1795326475988,
  FxRatesAndAuditLog1795327041835,
  RefundsAndCharges1795514158930,
  Routing1795515018000,
  MerchantApi1795515496212,
  RateLimits1795515782279,
  Notifications1795516171542,
  TenantSettings1796110387075,
  ProviderEventsPerTenant1796110835284,
  AddUserDisabledAt1796185423188,
  ApplicationHeldCredits1796202173191,
  AdminOrderIndexes1796204347116,
  TenantSuspension1796300000000,
  AuditRequestOrigin1796400000000,
  ProviderEventVerified1796500000000,
  MembersAndPasswordReset1796510000000,
  ConsoleSessions1796520000000,
];
