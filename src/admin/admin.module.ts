import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AdminUsersController } from './admin-users.controller';
import { AdminController } from './admin.controller';
import { FxService } from '../fx/fx.service';
import { UserStatusService } from './user-status.service';

@Module({
  imports: [AuthModule],
  controllers: [AdminController, AdminUsersController],
  providers: [FxService, UserStatusService],
  exports: [FxService],
})
export class AdminModule {}
