import { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantSuspension1796300000000 implements MigrationInterface {
  name = 'TenantSuspension1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" ADD "suspended_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "suspension_reason" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "suspension_reason"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "suspended_at"`);
  }
}
