import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What verification made of each provider event (outcome, payment reference, amount, currency): the
 * provider-neutral form an operator's `paymux event replay` re-applies. Null for events recorded before.
 */
export class ProviderEventVerified1796500000000 implements MigrationInterface {
  name = 'ProviderEventVerified1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "provider_events" ADD "verified" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "provider_events" DROP COLUMN "verified"`);
  }
}
