import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The platform operator's cross-tenant order list: newest first over every tenant, look-ups by pay_id
 * and by merchant order_no without a tenant, and the flagged filter.
 */
export class AdminOrderIndexes1796204347116 implements MigrationInterface {
  name = 'AdminOrderIndexes1796204347116';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_orders_merchant_order_no_any_tenant" ON "orders" ("merchant_order_no") WHERE "merchant_order_no" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_orders_pay_id" ON "orders" ("pay_id") WHERE "pay_id" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "ix_orders_created" ON "orders" ("created_at", "id")`);
    await queryRunner.query(
      `CREATE INDEX "ix_payments_flagged" ON "payments" ("order_id") WHERE "flag_reason" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_payments_flagged"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_pay_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_merchant_order_no_any_tenant"`);
  }
}
