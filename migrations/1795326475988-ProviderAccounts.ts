import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderAccounts1795326475988 implements MigrationInterface {
  name = 'ProviderAccounts1795326475988';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "provider_accounts" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "provider" text NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "mode" text NOT NULL DEFAULT 'test', "key_id" text NOT NULL, "credentials_sealed" text NOT NULL, "credentials_masked" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_30803043b7efd4483786901ddc0" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_provider_accounts_tenant_provider" ON "provider_accounts"  ("tenant_id", "provider") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_provider_accounts_tenant_provider"`);
    await queryRunner.query(`DROP TABLE "provider_accounts"`);
  }
}
