import { MigrationInterface, QueryRunner } from "typeorm";

export class RequestHistoryFailuresIndex1796519024286 implements MigrationInterface {
    name = 'RequestHistoryFailuresIndex1796519024286'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "requests_history_failures_idx" ON "requests_history" ("dest_rse_id", "updated_at")
            WHERE "state" = 'F'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."requests_history_failures_idx"
        `);
    }

}
