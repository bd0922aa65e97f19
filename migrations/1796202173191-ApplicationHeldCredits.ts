import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The credits held by refunds still pending at the provider are kept on the application's balance
 * row (applications.held_credits) instead of being summed from refunds on every usage debit. The
 * backfill runs in the migration's transaction, after ALTER TABLE took the table lock: every writer of
 * a hold locks its application's row first, so none can slip in between the sum and the update.
 */
export class ApplicationHeldCredits1796202173191 implements MigrationInterface {
  name = 'ApplicationHeldCredits1796202173191';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "applications" ADD "held_credits" numeric(38,6) NOT NULL DEFAULT '0'`,
    );
    await queryRunner.query(
      `UPDATE "applications" a SET "held_credits" = h.held
         FROM (SELECT r.tenant_id, o.application_id, SUM(r.credits) AS held
                 FROM "refunds" r JOIN "orders" o ON o.id = r.order_id
                WHERE r.status = 'pending' AND o.application_id IS NOT NULL
                GROUP BY r.tenant_id, o.application_id) h
        WHERE a.id = h.application_id AND a.tenant_id = h.tenant_id`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "applications" DROP COLUMN "held_credits"`);
  }
}
