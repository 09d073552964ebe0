import { MigrationInterface, QueryRunner } from "typeorm";

export class CopyMethodOfTransfers1796434481527 implements MigrationInterface {
    name = 'CopyMethodOfTransfers1796434481527'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "requests"
            ADD "copy_method" character varying(16)
        `);
        await queryRunner.query(`
            ALTER TABLE "requests"
            ADD "copy_method_reason" character varying(2000)
        `);
        await queryRunner.query(`
            ALTER TABLE "requests_history"
            ADD "copy_method" character varying(16)
        `);
        await queryRunner.query(`
            ALTER TABLE "requests_history"
            ADD "copy_method_reason" character varying(2000)
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "requests_history" DROP COLUMN "copy_method_reason"
        `);
        await queryRunner.query(`
            ALTER TABLE "requests_history" DROP COLUMN "copy_method"
        `);
        await queryRunner.query(`
            ALTER TABLE "requests" DROP COLUMN "copy_method_reason"
        `);
        await queryRunner.query(`
            ALTER TABLE "requests" DROP COLUMN "copy_method"
        `);
    }

}
