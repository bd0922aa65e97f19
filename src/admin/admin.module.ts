import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { FxService } from './fx.service';

@Module({ controllers: [AdminController], providers: [FxService], exports: [FxService] })
export class AdminModule {}
