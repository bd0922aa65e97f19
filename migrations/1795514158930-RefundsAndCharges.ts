import { MigrationInterface, QueryRunner } from 'typeorm';

export class RefundsAndCharges1795514158930 implements MigrationInterface {
  name = 'RefundsAndCharges1795514158930';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_order_kind"`);
    await queryRunner.query(
      `CREATE TABLE "refunds" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "order_id" uuid NOT NULL, "payment_id" uuid NOT NULL, "provider" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "amount" numeric(38,18) NOT NULL, "currency" text NOT NULL, "charge_amount" numeric(38,18) NOT NULL, "charge_currency" text NOT NULL, "credits" numeric(38,6) NOT NULL, "reason" text NOT NULL, "forced" boolean NOT NULL DEFAULT false, "idempotency_key" text, "request_hash" text, "provider_refund_id" text, "failure_message" text, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5106efb01eeda7e49a78b869738" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_refunds_pending" ON "refunds"  ("updated_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "ix_refunds_order" ON "refunds"  ("tenant_id", "order_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_refunds_provider_refund" ON "refunds"  ("provider", "provider_refund_id") WHERE "provider_refund_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_refunds_idempotency_key" ON "refunds"  ("tenant_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "orders" ADD "charge_amount" numeric(38,18)`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "charge_currency" text`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "fx_rate" numeric(38,18)`);
    await queryRunner.query(`ALTER TABLE "payments" ADD "fx_rate" numeric(38,18)`);
    await queryRunner.query(`ALTER TABLE "payments" ADD "next_check_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_refund_reference" ON "ledger_entries"  ("reference") WHERE "kind" = 'refund'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_order_credit" ON "ledger_entries"  ("order_id") WHERE "kind" = 'credit'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_order_credit"`);
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_refund_reference"`);
    await queryRunner.query(`ALTER TABLE "payments" DROP COLUMN "next_check_at"`);
    await queryRunner.query(`ALTER TABLE "payments" DROP COLUMN "fx_rate"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "fx_rate"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "charge_currency"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "charge_amount"`);
    await queryRunner.query(`DROP INDEX "public"."uq_refunds_idempotency_key"`);
    await queryRunner.query(`DROP INDEX "public"."uq_refunds_provider_refund"`);
    await queryRunner.query(`DROP INDEX "public"."ix_refunds_order"`);
    await queryRunner.query(`DROP INDEX "public"."ix_refunds_pending"`);
    await queryRunner.query(`DROP TABLE "refunds"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_order_kind" ON "ledger_entries" USING btree ("order_id", "kind") WHERE (order_id IS NOT NULL)`,
    );
  }
}
