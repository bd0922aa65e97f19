import { Module } from '@nestjs/common';
import { AdminModule } from '../admin/admin.module';
import { AuthModule } from '../auth/auth.module';
import { ApplicationsModule } from '../applications/applications.module';
import { OrdersModule } from '../orders/orders.module';
import { PackagesModule } from '../packages/packages.module';
import { TenantsModule } from '../tenants/tenants.module';
import { CreateOrderController } from './order-creation/create-order.controller';
import { MerchantPaymentsController } from './merchant/merchant-payments.controller';
import { AttemptCloser } from './attempts/attempt-closer.service';
import { MerchantPaymentsService } from './merchant/merchant-payments.service';
import { OrderCancelController } from './reconciliation/order-cancel.controller';
import { PaymentResolveController } from './reconciliation/payment-resolve.controller';
import { OrderExpirySweeper } from './reconciliation/order-expiry.sweeper';
import { OrderPaymentController } from './attempts/order-payment.controller';
import { PAYMENT_PROVIDERS, PaymentProvider } from './payment-provider';
import { PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { AlipayProvider } from './providers/alipay/alipay.provider';
import { PayPalProvider } from './providers/paypal/paypal.provider';
import { StripeProvider } from './providers/stripe/stripe.provider';
import { WechatProvider } from './providers/wechat/wechat.provider';
import { AlchemyProvider } from './providers/alchemy/alchemy.provider';
import { TokenPayProvider } from './providers/tokenpay/tokenpay.provider';
import { X402Controller } from './x402/x402.controller';
import { X402Provider } from './providers/x402/x402.provider';
import { SandboxController } from './sandbox/sandbox.controller';
import { SandboxProvider } from './providers/sandbox/sandbox.provider';
import { ReconciliationService } from './reconciliation/reconciliation.service';
import { RefundsController } from './refunds/refunds.controller';
import { RefundsService } from './refunds/refunds.service';
import { RoutingController } from './attempts/routing.controller';
import { RoutingService } from './attempts/routing.service';
import { WebhooksController } from './events/webhooks.controller';
import { WebhookRateLimiter } from './events/webhook-rate-limiter';
import { WebhooksService } from './events/webhooks.service';

const ADAPTERS = [
  SandboxProvider,
  StripeProvider,
  PayPalProvider,
  AlipayProvider,
  WechatProvider,
  X402Provider,
  AlchemyProvider,
  TokenPayProvider,
];

@Module({
  imports: [OrdersModule, ApplicationsModule, PackagesModule, TenantsModule, AdminModule, AuthModule],
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
