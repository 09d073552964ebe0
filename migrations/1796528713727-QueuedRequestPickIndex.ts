import { MigrationInterface, QueryRunner } from "typeorm";

/** The submitter finds the groups of queued requests along this index and claims each in its order, up to the free slots. */
export class QueuedRequestPickIndex1796528713727 implements MigrationInterface {
    name = 'QueuedRequestPickIndex1796528713727'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE INDEX "requests_queued_pick_idx" ON "requests" ("dest_rse_id", "activity", coalesce("account", ''), "priority" DESC, "requested_at", "id")
            WHERE "state" IN ('Q', 'W') AND "request_type" = 'T'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."requests_queued_pick_idx"
        `);
    }

}
