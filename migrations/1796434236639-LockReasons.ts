import { MigrationInterface, QueryRunner } from "typeorm";

export class LockReasons1796434236639 implements MigrationInterface {
    name = 'LockReasons1796434236639'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "locks"
            ADD "reason_code" character varying(32)
        `);
        await queryRunner.query(`
            ALTER TABLE "locks"
            ADD "reason" character varying(4000)
        `);
        await queryRunner.query(`
            ALTER TABLE "replica_verifications"
            ADD "written" boolean NOT NULL DEFAULT true
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "replica_verifications" DROP COLUMN "written"
        `);
        await queryRunner.query(`
            ALTER TABLE "locks" DROP COLUMN "reason"
        `);
        await queryRunner.query(`
            ALTER TABLE "locks" DROP COLUMN "reason_code"
        `);
    }

}
