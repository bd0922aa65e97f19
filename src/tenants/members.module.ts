import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { Invitation } from './invitation.entity';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';

/**
 * Members and invitations. A module of its own beside TenantsModule: it needs AuthModule (password
 * hashing, the principal cache), which itself imports TenantsModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Invitation]), AuthModule],
  controllers: [MembersController, InvitationsController],
  providers: [MembersService, InvitationsService],
})
export class MembersModule {}
