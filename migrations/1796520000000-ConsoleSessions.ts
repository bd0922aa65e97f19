import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConsoleSessions1796520000000 implements MigrationInterface {
  name = 'ConsoleSessions1796520000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "console_sessions" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "token_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_console_sessions_id" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_console_sessions_hash" ON "console_sessions" ("token_hash") `,
    );
    await queryRunner.query(`CREATE INDEX "ix_console_sessions_user" ON "console_sessions" ("user_id") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_console_sessions_user"`);
    await queryRunner.query(`DROP INDEX "public"."uq_console_sessions_hash"`);
    await queryRunner.query(`DROP TABLE "console_sessions"`);
  }
}
