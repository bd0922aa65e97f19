import { MigrationInterface, QueryRunner } from 'typeorm';

/** The request id and client IP of the request behind each audit row (null for CLI actions). */
export class AuditRequestOrigin1796400000000 implements MigrationInterface {
  name = 'AuditRequestOrigin1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_log" ADD "request_id" text`);
    await queryRunner.query(`ALTER TABLE "audit_log" ADD "ip" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "audit_log" DROP COLUMN "ip"`);
    await queryRunner.query(`ALTER TABLE "audit_log" DROP COLUMN "request_id"`);
  }
}
