import { AuditEntry } from '../audit/audit-entry.entity';
import { FxRate } from '../fx/fx-rate.entity';
import { Application } from '../applications/application.entity';
import { LedgerEntry } from '../applications/ledger-entry.entity';
import { ApiKey } from '../auth/api-key.entity';
import { ApiNonce } from '../auth/api-nonce.entity';
import { PlatformToken } from '../auth/platform-token.entity';
import { RateLimit } from '../auth/rate-limit.entity';
import { User } from '../auth/user.entity';
import { Notification } from '../notifications/notification.entity';
import { NotificationAttempt } from '../notifications/notification-attempt.entity';
import { IdempotencyKey } from '../orders/idempotency-key.entity';
import { Order } from '../orders/order.entity';
import { OrderTransition } from '../orders/order-transition.entity';
import { Package } from '../packages/package.entity';
import { Payment } from '../payments/attempts/payment.entity';
import { ProviderEvent } from '../payments/events/provider-event.entity';
import { Refund } from '../payments/refunds/refund.entity';
import { RoutingPreference } from '../payments/attempts/routing-preference.entity';
import { SandboxCharge } from '../payments/sandbox/sandbox-charge.entity';
import { Membership } from '../tenants/membership.entity';
import { ProviderAccount } from '../tenants/provider-account.entity';
import { Tenant } from '../tenants/tenant.entity';

/** Every entity, listed once: the data source, the CLI and the migration drift check all use this. */
export const ENTITIES = [
  Tenant,
  Membership,
  User,
  PlatformToken,
  ApiKey,
  ApiNonce,
  RateLimit,
  Application,
  LedgerEntry,
  Package,
  Order,
  OrderTransition,
  IdempotencyKey,
  Payment,
  ProviderEvent,
  Refund,
  RoutingPreference,
  SandboxCharge,
  ProviderAccount,
  FxRate,
  AuditEntry,
  Notification,
  NotificationAttempt,
];
