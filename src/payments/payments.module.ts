import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { AuthModule } from '../auth/auth.module';
import { ApplicationsModule } from '../applications/applications.module';
import { OrdersModule } from '../orders/orders.module';
import { PackagesModule } from '../packages/packages.module';
import { TenantsModule } from '../tenants/tenants.module';
import { CreateOrderController } from './create-order.controller';
import { MerchantPaymentsController } from './merchant-payments.controller';
import { AttemptCloser } from './attempt-closer.service';
import { MerchantPaymentsService } from './merchant-payments.service';
import { OrderCancelController } from './order-cancel.controller';
import { PaymentResolveController } from './payment-resolve.controller';
import { OrderExpirySweeper } from './order-expiry.sweeper';
import { OrderPaymentController } from './order-payment.controller';
import { PAYMENT_PROVIDERS, PaymentProvider } from './payment-provider';
import { PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { PROVIDERS } from './providers';
import { ProviderCatalogModule } from './providers/provider-catalog.module';
import { X402Controller } from './providers/x402/x402.controller';
import { SandboxController } from './providers/sandbox/sandbox.controller';
import { ReconciliationService } from './reconciliation.service';
import { RefundsController } from './refunds.controller';
import { RefundsService } from './refunds.service';
import { RoutingController } from './routing.controller';
import { RoutingService } from './routing.service';
import { WebhooksController } from './webhooks.controller';
import { WebhookRateLimiter } from './webhook-rate-limiter';
import { WebhooksService } from './webhooks.service';

/** Every provider's adapter, from the one list of providers. */
const ADAPTERS = PROVIDERS.map((p) => p.adapter);

@Module({
  imports: [
    ProviderCatalogModule,
    OrdersModule,
    ApplicationsModule,
    PackagesModule,
    TenantsModule,
    AdminModule,
    AuthModule,
  ],
  controllers: [
    CreateOrderController,
    OrderCancelController,
    PaymentResolveController,
    OrderPaymentController,
    RefundsController,
    MerchantPaymentsController,
    RoutingController,
    WebhooksController,
    SandboxController,
    X402Controller,
  ],
  providers: [
    ...ADAPTERS,
    {
      provide: PAYMENT_PROVIDERS,
      inject: ADAPTERS,
      useFactory: (...providers: PaymentProvider[]) => providers,
    },
    ProviderRegistry,
    PaymentsService,
    AttemptCloser,
    WebhooksService,
    WebhookRateLimiter,
    OrderExpirySweeper,
    RefundsService,
    ReconciliationService,
    RoutingService,
    MerchantPaymentsService,
  ],
  exports: [PaymentsService, ProviderRegistry],
})
export class PaymentsModule {}
