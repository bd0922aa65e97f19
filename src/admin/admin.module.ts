import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { FxModule } from '../fx/fx.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { OrdersModule } from '../orders/orders.module';
import { PaymentsModule } from '../payments/payments.module';
import { AdminOrderActionsController } from './admin-order-actions.controller';
import { StaffOrdersController } from './staff-orders.controller';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditService } from './admin-audit.service';
import { AdminOrdersController } from './admin-orders.controller';
import { AdminOrdersService } from './admin-orders.service';
import { AdminTenantsController } from './admin-tenants.controller';
import { AdminTenantsService } from './admin-tenants.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminController } from './admin.controller';
import { AdminDashboardController, DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';
import { UserStatusService } from './user-status.service';

@Module({
  imports: [AuthModule, FxModule, AuditModule, OrdersModule, PaymentsModule, NotificationsModule],
  controllers: [
    AdminController,
    AdminUsersController,
    AdminTenantsController,
    AdminOrdersController,
    AdminAuditController,
    AdminOrderActionsController,
    StaffOrdersController,
    AdminDashboardController,
    DashboardController,
  ],
  providers: [
    UserStatusService,
    AdminUsersService,
    AdminTenantsService,
    AdminOrdersService,
    AdminAuditService,
    DashboardService,
  ],
})
export class AdminModule {}
