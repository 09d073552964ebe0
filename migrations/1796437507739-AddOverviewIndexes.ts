import { MigrationInterface, QueryRunner } from "typeorm";

export class AddOverviewIndexes1796437507739 implements MigrationInterface {
    name = 'AddOverviewIndexes1796437507739'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "outbox_messages_deletions_idx" ON "outbox_messages" ("created_at")
            WHERE event_type IN ('deletion.done', 'deletion.failed')
        `);
        await queryRunner.query(`
            CREATE INDEX "requests_history_updated_at_idx" ON "requests_history" ("updated_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."requests_history_updated_at_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."outbox_messages_deletions_idx"
        `);
    }

}
