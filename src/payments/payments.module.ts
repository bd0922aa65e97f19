import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApplicationsModule } from '../applications/applications.module';
import { AuthModule } from '../auth/auth.module';
import { FxModule } from '../fx/fx.module';
import { OrdersModule } from '../orders/orders.module';
import { PackagesModule } from '../packages/packages.module';
import { TenantsModule } from '../tenants/tenants.module';
import { AttemptCloser } from './attempts/attempt-closer.service';
import { AttemptOpener } from './attempts/attempt-opener.service';
import { ChargeCalculator } from './attempts/charge-calculator';
import { OrderPaymentController } from './attempts/order-payment.controller';
import { OrderPaymentService } from './attempts/order-payment.service';
import { PayUrls } from './attempts/pay-urls';
import { Payment } from './attempts/payment.entity';
import { PaymentLookup } from './attempts/payment-lookup.service';
import { RoutingController } from './attempts/routing.controller';
import { RoutingPreference } from './attempts/routing-preference.entity';
import { RoutingService } from './attempts/routing.service';
import { ConfirmationFastPath } from './events/confirmation-fast-path';
import { PaymentEventsService } from './events/payment-events.service';
import { ProviderEvent } from './events/provider-event.entity';
import { WebhookRateLimiter } from './events/webhook-rate-limiter';
import { WebhooksController } from './events/webhooks.controller';
import { WebhooksService } from './events/webhooks.service';
import { MerchantPaymentsController } from './merchant/merchant-payments.controller';
import { MerchantPaymentsService } from './merchant/merchant-payments.service';
import { CreateOrderController } from './order-creation/create-order.controller';
import { OrderCreationService } from './order-creation/order-creation.service';
import { PAYMENT_PROVIDERS, PaymentProvider } from './contract/payment-provider';
import { ProviderRegistry } from './provider-registry';
import { PROVIDERS } from './providers';
import { ProviderCatalogModule } from './providers/provider-catalog.module';
import { SANDBOX_CHARGES } from './providers/sandbox/sandbox.provider';
import { X402_SETTLEMENTS } from './providers/x402/x402.provider';
import { OperatorResolutionService } from './reconciliation/operator-resolution.service';
import { OrderCancelController } from './reconciliation/order-cancel.controller';
import { OrderReconcileService } from './reconciliation/order-reconcile.service';
import { OrderCancellationService } from './reconciliation/order-cancellation.service';
import { OrderExpirySweeper } from './reconciliation/order-expiry.sweeper';
import { PaymentQueryService } from './reconciliation/payment-query.service';
import { PaymentResolveController } from './reconciliation/payment-resolve.controller';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { Refund } from './refunds/refund.entity';
import { RefundSettlementService } from './refunds/refund-settlement.service';
import { RefundsController } from './refunds/refunds.controller';
import { RefundsService } from './refunds/refunds.service';
import { SandboxCharge } from './sandbox/sandbox-charge.entity';
import { SandboxPayer } from './sandbox/sandbox-payer.service';
import { SandboxChargesStore } from './sandbox/sandbox-charges.store';
import { SandboxController } from './sandbox/sandbox.controller';
import { X402Checkout } from './x402/x402.checkout';
import { X402Controller } from './x402/x402.controller';
import { X402Store } from './x402/x402.store';

/** Every provider's adapter, from the one list of providers. */
const ADAPTERS = PROVIDERS.map((p) => p.adapter);

@Module({
  imports: [
    TypeOrmModule.forFeature([Payment, ProviderEvent, Refund, RoutingPreference, SandboxCharge]),
    ProviderCatalogModule,
    OrdersModule,
    ApplicationsModule,
    PackagesModule,
    TenantsModule,
    FxModule,
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
    // What the stateful adapters keep is kept here, in the payments layer.
    SandboxChargesStore,
    SandboxPayer,
    { provide: SANDBOX_CHARGES, useExisting: SandboxChargesStore },
    X402Store,
    { provide: X402_SETTLEMENTS, useExisting: X402Store },
    X402Checkout,
    // order-creation/
    OrderCreationService,
    // attempts/
    PayUrls,
    ChargeCalculator,
    RoutingService,
    AttemptOpener,
    AttemptCloser,
    OrderPaymentService,
    PaymentLookup,
    // events/
    PaymentEventsService,
    ConfirmationFastPath,
    WebhooksService,
    WebhookRateLimiter,
    // refunds/
    RefundsService,
    RefundSettlementService,
    // reconciliation/
    PaymentQueryService,
    ReconciliationService,
    OrderExpirySweeper,
    OrderCancellationService,
    OperatorResolutionService,
    OrderReconcileService,
    // merchant/
    MerchantPaymentsService,
  ],
  exports: [
    PaymentLookup,
    ProviderRegistry,
    OrderCreationService,
    RefundsService,
    OrderCancellationService,
    OrderReconcileService,
    SandboxPayer,
  ],
})
export class PaymentsModule {}
