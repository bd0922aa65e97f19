import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { ApplicationsModule } from './applications/applications.module';
import { AuthModule } from './auth/auth.module';
import { CheckoutModule } from './checkout/checkout.module';
import { AllExceptionsFilter } from './common/http-exception.filter';
import { rootLogger } from './common/logging';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DemoService } from './demo/demo.service';
import { FxModule } from './fx/fx.module';
import { HealthModule } from './health/health.module';
import { NotificationsModule } from './notifications/notifications.module';
import { OrdersModule } from './orders/orders.module';
import { PackagesModule } from './packages/packages.module';
import { PaymentsModule } from './payments/payments.module';
import { MembersModule } from './tenants/members.module';
import { TenantsModule } from './tenants/tenants.module';

@Module({})
export class AppModule {
  /** `logger`: the process's root logger (`rootLogger`), made from `config` when not given. */
  static forRoot(
    config: AppConfig,
    database: { url: string; embedded: boolean },
    logger: PinoLogger = rootLogger(config),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        // nestjs-pino for Nest's Logger only: `forRoutes: []` mounts none of its per-request middleware
        // (requests are logged by `logRequests`, a Fastify hook; see there for why).
        LoggerModule.forRoot({ pinoHttp: { logger }, forRoutes: [] }),
        DatabaseModule.forRoot(database.url, database.embedded),
        ScheduleModule.forRoot(),
        TenantsModule,
        AuthModule,
        ApplicationsModule,
        PackagesModule,
        OrdersModule,
        AuditModule,
        FxModule,
        PaymentsModule,
        NotificationsModule,
        CheckoutModule,
        AdminModule,
        HealthModule,
        MembersModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }, DemoService],
    };
  }
}
