import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProviderEventsPerTenant1796110835284 implements MigrationInterface {
  name = 'ProviderEventsPerTenant1796110835284';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_provider_events_event"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_provider_events_event" ON "provider_events"  ("tenant_id", "provider", "event_id") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_provider_events_event"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_provider_events_event" ON "provider_events" USING btree ("provider", "event_id") `,
    );
  }
}
