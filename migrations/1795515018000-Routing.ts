import { MigrationInterface, QueryRunner } from 'typeorm';

export class Routing1795515018000 implements MigrationInterface {
  name = 'Routing1795515018000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "routing_preferences" ("tenant_id" uuid NOT NULL, "priority" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0ae4fcfc20e71f15235f5ad4c4f" PRIMARY KEY ("tenant_id"))`,
    );
    await queryRunner.query(`ALTER TABLE "orders" ADD "pay_currency" text`);
    await queryRunner.query(`ALTER TABLE "orders" ADD "chain" text`);
    await queryRunner.query(`ALTER TABLE "payments" ADD "route" jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "payments" DROP COLUMN "route"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "chain"`);
    await queryRunner.query(`ALTER TABLE "orders" DROP COLUMN "pay_currency"`);
    await queryRunner.query(`DROP TABLE "routing_preferences"`);
  }
}
