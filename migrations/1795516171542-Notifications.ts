import { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1795516171542 implements MigrationInterface {
  name = 'Notifications1795516171542';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "notifications" ("id" uuid NOT NULL, "seq" BIGSERIAL NOT NULL, "tenant_id" uuid NOT NULL, "order_id" uuid NOT NULL, "event" text NOT NULL, "url" text NOT NULL, "body" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_notifications_order" ON "notifications"  ("tenant_id", "order_id", "seq") `,
    );
    await queryRunner.query(
      `CREATE TABLE "notification_attempts" ("id" uuid NOT NULL, "notification_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "attempt" integer NOT NULL, "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status_code" integer, "latency_ms" integer NOT NULL, "body_excerpt" text, "error" text, "success" boolean NOT NULL, CONSTRAINT "PK_f6abd34f351bbbf11c7ae8e7565" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_notification_attempts_notification" ON "notification_attempts"  ("notification_id", "attempted_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_notification_attempts_notification"`);
    await queryRunner.query(`DROP TABLE "notification_attempts"`);
    await queryRunner.query(`DROP INDEX "public"."ix_notifications_order"`);
    await queryRunner.query(`DROP TABLE "notifications"`);
  }
}
