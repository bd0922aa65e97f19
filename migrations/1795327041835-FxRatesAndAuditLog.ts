import { MigrationInterface, QueryRunner } from 'typeorm';

export class FxRatesAndAuditLog1795327041835 implements MigrationInterface {
  name = 'FxRatesAndAuditLog1795327041835';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "audit_log" ("id" BIGSERIAL NOT NULL, "tenant_id" uuid, "actor_id" uuid NOT NULL, "action" text NOT NULL, "target" text NOT NULL, "data" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_audit_log_target" ON "audit_log"  ("target", "id") `);
    await queryRunner.query(
      `CREATE TABLE "fx_rates" ("base" text NOT NULL, "quote" text NOT NULL, "rate" numeric(38,18) NOT NULL, "updated_by" uuid NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d1d39a4a05a2d42d8b0f7a41253" PRIMARY KEY ("base", "quote"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "fx_rates"`);
    await queryRunner.query(`DROP INDEX "public"."ix_audit_log_target"`);
    await queryRunner.query(`DROP TABLE "audit_log"`);
  }
}
