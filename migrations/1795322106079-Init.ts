import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1795322106079 implements MigrationInterface {
  name = 'Init1795322106079';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "applications" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "name" text NOT NULL, "balance" numeric(38,6) NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_938c0a27255637bde919591888f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_applications_tenant" ON "applications"  ("tenant_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "ledger_entries" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "application_id" uuid NOT NULL, "order_id" uuid, "kind" text NOT NULL, "reference" text, "amount" numeric(38,6) NOT NULL, "balance_after" numeric(38,6) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6efcb84411d3f08b08450ae75d5" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_ledger_application" ON "ledger_entries"  ("tenant_id", "application_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_usage_reference" ON "ledger_entries"  ("application_id", "reference") WHERE "kind" = 'usage'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_ledger_order_kind" ON "ledger_entries"  ("order_id", "kind") WHERE "order_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "platform_tokens" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" uuid NOT NULL, "name" text NOT NULL, "token_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_d21a266478d79e04714698a2398" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_platform_tokens_tenant" ON "platform_tokens"  ("tenant_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_platform_tokens_hash" ON "platform_tokens"  ("token_hash") `,
    );
    await queryRunner.query(
      `CREATE TABLE "users" ("id" uuid NOT NULL, "email" text NOT NULL, "name" text NOT NULL, "password_hash" text NOT NULL, "is_platform_admin" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_users_email" ON "users"  ("email") `);
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" ("tenant_id" uuid NOT NULL, "key" text NOT NULL, "request_hash" text NOT NULL, "order_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b5c6db50392003e35d51ef7aba7" PRIMARY KEY ("tenant_id", "key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "orders" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" uuid, "application_id" uuid, "package_id" uuid, "amount" numeric(38,6) NOT NULL, "price" numeric(38,18) NOT NULL, "currency" text NOT NULL, "discount" numeric(7,6) NOT NULL DEFAULT '1', "pay_way" text NOT NULL, "pay_id" text, "pay_url" text, "state" text NOT NULL DEFAULT 'Pending', "remaining_amount" numeric(38,6) NOT NULL DEFAULT '0', "tags" jsonb, "metadata" jsonb, "redirect_url" text, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "paid_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_710e2d4957aa5878dfe94e4ac2f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_orders_application_remaining" ON "orders"  ("application_id", "created_at") WHERE "remaining_amount" > 0`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_orders_pending_expiry" ON "orders"  ("expires_at") WHERE "state" = 'Pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_orders_tenant_created" ON "orders"  ("tenant_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "order_transitions" ("id" BIGSERIAL NOT NULL, "tenant_id" uuid NOT NULL, "order_id" uuid NOT NULL, "from_state" text, "to_state" text NOT NULL, "reason" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4818025b2c3ef42046b07971605" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_order_transitions_order" ON "order_transitions"  ("order_id", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "packages" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "application_id" uuid, "name" text NOT NULL, "amount" numeric(38,6) NOT NULL, "price" numeric(38,18) NOT NULL, "currency" text NOT NULL, "discount" numeric(7,6) NOT NULL DEFAULT '1', "custom_unit_price" numeric(38,18), "custom_min" numeric(38,6), "custom_max" numeric(38,6), "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_020801f620e21f943ead9311c98" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_packages_tenant" ON "packages"  ("tenant_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE "payments" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "order_id" uuid NOT NULL, "provider" text NOT NULL, "method" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "amount" numeric(38,18) NOT NULL, "currency" text NOT NULL, "provider_ref" text, "action" jsonb, "flag_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_197ab7af18c93fbb0c9b28b4a59" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_payments_provider_ref" ON "payments"  ("provider", "provider_ref") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_payments_pending" ON "payments"  ("created_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "ix_payments_order" ON "payments"  ("tenant_id", "order_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_payments_one_success_per_order" ON "payments"  ("order_id") WHERE "status" = 'succeeded'`,
    );
    await queryRunner.query(
      `CREATE TABLE "provider_events" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "provider" text NOT NULL, "event_id" text NOT NULL, "type" text NOT NULL, "payment_id" uuid, "outcome" text NOT NULL, "note" text, "payload" jsonb NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d882a90f8c8180b9bdae9af62eb" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_provider_events_payment" ON "provider_events"  ("payment_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_provider_events_event" ON "provider_events"  ("provider", "event_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "sandbox_charges" ("pay_id" text NOT NULL, "tenant_id" uuid NOT NULL, "outcome" text NOT NULL, "amount" numeric(38,18) NOT NULL, "currency" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cbffa6a42c56a62ef490a5ecb01" PRIMARY KEY ("pay_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "memberships" ("tenant_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7496a942c4958ee034f803461e8" PRIMARY KEY ("tenant_id", "user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_memberships_user" ON "memberships"  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "tenants" ("id" uuid NOT NULL, "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tenants"`);
    await queryRunner.query(`DROP INDEX "public"."ix_memberships_user"`);
    await queryRunner.query(`DROP TABLE "memberships"`);
    await queryRunner.query(`DROP TABLE "sandbox_charges"`);
    await queryRunner.query(`DROP INDEX "public"."uq_provider_events_event"`);
    await queryRunner.query(`DROP INDEX "public"."ix_provider_events_payment"`);
    await queryRunner.query(`DROP TABLE "provider_events"`);
    await queryRunner.query(`DROP INDEX "public"."uq_payments_one_success_per_order"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payments_order"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payments_pending"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payments_provider_ref"`);
    await queryRunner.query(`DROP TABLE "payments"`);
    await queryRunner.query(`DROP INDEX "public"."ix_packages_tenant"`);
    await queryRunner.query(`DROP TABLE "packages"`);
    await queryRunner.query(`DROP INDEX "public"."ix_order_transitions_order"`);
    await queryRunner.query(`DROP TABLE "order_transitions"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_tenant_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_pending_expiry"`);
    await queryRunner.query(`DROP INDEX "public"."ix_orders_application_remaining"`);
    await queryRunner.query(`DROP TABLE "orders"`);
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    await queryRunner.query(`DROP INDEX "public"."uq_users_email"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."uq_platform_tokens_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_platform_tokens_tenant"`);
    await queryRunner.query(`DROP TABLE "platform_tokens"`);
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_order_kind"`);
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_usage_reference"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ledger_application"`);
    await queryRunner.query(`DROP TABLE "ledger_entries"`);
    await queryRunner.query(`DROP INDEX "public"."ix_applications_tenant"`);
    await queryRunner.query(`DROP TABLE "applications"`);
  }
}
