import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { OrdersModule } from '../orders/orders.module';
import { PackagesModule } from '../packages/packages.module';
import { TenantsModule } from '../tenants/tenants.module';
import { CreateOrderController } from './create-order.controller';
import { OrderExpirySweeper } from './order-expiry.sweeper';
import { OrderPaymentController } from './order-payment.controller';
import { PAYMENT_PROVIDERS, PaymentProvider } from './payment-provider';
import { PaymentsService } from './payments.service';
import { ProviderRegistry } from './provider-registry';
import { SandboxController } from './providers/sandbox/sandbox.controller';
import { SandboxProvider } from './providers/sandbox/sandbox.provider';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

const ADAPTERS = [SandboxProvider];

@Module({
  imports: [OrdersModule, ApplicationsModule, PackagesModule, TenantsModule],
  controllers: [CreateOrderController, OrderPaymentController, WebhooksController, SandboxController],
  providers: [
    ...ADAPTERS,
    {
      provide: PAYMENT_PROVIDERS,
      inject: ADAPTERS,
      useFactory: (...providers: PaymentProvider[]) => providers,
    },
    ProviderRegistry,
    PaymentsService,
    WebhooksService,
    OrderExpirySweeper,
  ],
  exports: [PaymentsService, ProviderRegistry],
})
export class PaymentsModule {}
