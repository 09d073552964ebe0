import { MigrationInterface, QueryRunner } from "typeorm";

export class ConsistencyRuns1795328159495 implements MigrationInterface {
    name = 'ConsistencyRuns1795328159495'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "consistency_runs" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "rse_id" uuid NOT NULL,
                "state" character varying(16) NOT NULL DEFAULT 'running',
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "finished_at" TIMESTAMP WITH TIME ZONE,
                "listed" bigint NOT NULL DEFAULT '0',
                "dark" bigint NOT NULL DEFAULT '0',
                "missing" bigint NOT NULL DEFAULT '0',
                "quarantined" bigint NOT NULL DEFAULT '0',
                "deleted" bigint NOT NULL DEFAULT '0',
                "error" character varying(4000),
                CONSTRAINT "PK_f0b8061c8b89d6c6d9c5d1550e8" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "consistency_runs_rse_started_idx" ON "consistency_runs" ("rse_id", "started_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."consistency_runs_rse_started_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "consistency_runs"
        `);
    }

}
