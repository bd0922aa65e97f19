import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddUserDisabledAt1796185423188 implements MigrationInterface {
  name = 'AddUserDisabledAt1796185423188';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "disabled_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "disabled_at"`);
  }
}
