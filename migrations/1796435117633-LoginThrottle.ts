import { MigrationInterface, QueryRunner } from "typeorm";

export class LoginThrottle1796435117633 implements MigrationInterface {
    name = 'LoginThrottle1796435117633'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "login_throttle" (
                "key" character varying(255) NOT NULL,
                "points" integer NOT NULL DEFAULT '0',
                "expire" bigint,
                CONSTRAINT "PK_14c03bac82292a8310c54cb98d0" PRIMARY KEY ("key")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "login_throttle"
        `);
    }

}
