import { MigrationInterface, QueryRunner } from "typeorm";

export class WebSessionGroups1796461493348 implements MigrationInterface {
    name = 'WebSessionGroups1796461493348'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "tokens"
            ADD "oidc_groups" text array
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "tokens" DROP COLUMN "oidc_groups"
        `);
    }

}
