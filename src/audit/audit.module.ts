import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEntry } from './audit-entry.entity';

/** The audit log (audit_entries): written in the transaction of what it records, by whoever does it. */
@Module({ imports: [TypeOrmModule.forFeature([AuditEntry])] })
export class AuditModule {}
