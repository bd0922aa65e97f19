import { MigrationInterface, QueryRunner } from 'typeorm';

export class RateLimits1795515782279 implements MigrationInterface {
  name = 'RateLimits1795515782279';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "rate_limits" ("key" text NOT NULL, "hits" integer NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_8cb6aa4831e3e775ccf370521db" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_rate_limits_expires" ON "rate_limits"  ("expires_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_rate_limits_expires"`);
    await queryRunner.query(`DROP TABLE "rate_limits"`);
  }
}
