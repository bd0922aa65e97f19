import { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantSettings1796110387075 implements MigrationInterface {
  name = 'TenantSettings1796110387075';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" ADD "webhook_url" text`);
    await queryRunner.query(`ALTER TABLE "tenants" ADD "order_ttl_seconds" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "order_ttl_seconds"`);
    await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "webhook_url"`);
  }
}
