import { Module } from '@nestjs/common';
import { ApplicationsModule } from '../applications/applications.module';
import { PackagesController } from './packages.controller';
import { PackagesService } from './packages.service';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Package } from './package.entity';

@Module({
  imports: [TypeOrmModule.forFeature([Package]), ApplicationsModule],
  controllers: [PackagesController],
  providers: [PackagesService],
  exports: [PackagesService],
})
export class PackagesModule {}
