import { MigrationInterface, QueryRunner } from 'typeorm';

export class MerchantApi1795515496212 implements MigrationInterface {
  name = 'MerchantApi1795515496212';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "key_id" text NOT NULL, "name" text NOT NULL, "master_key_id" text NOT NULL, "secret_sealed" text NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_api_keys_tenant" ON "api_keys"  ("tenant_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_key_id" ON "api_keys"  ("key_id") `);
    await queryRunner.query(
      `CREATE TABLE "api_nonces" ("api_key_id" uuid NOT NULL, "nonce" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_533621f5bcf3828ab0d0dc7045b" PRIMARY KEY ("api_key_id", "nonce"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_api_nonces_created" ON "api_nonces"  ("created_at") `);
    await queryRunner.query(`ALTER TABLE "orders" ADD "merchant_order_no" text`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "notify_url" text`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "product_name" text`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "meta" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_orders_merchant_order_no" ON "orders"  ("tenant_id", "merchant_order_no") WHERE "merchant_order_no" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_orders_merchant_order_no"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "meta"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "product_name"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "notify_url"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "merchant_order_no"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_nonces_created"`);
    await queryRunner.query(`DROP TABLE "api_nonces"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys_key_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_keys_tenant"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
