import { MigrationInterface, QueryRunner } from "typeorm";

export class IngestHooks1795327506391 implements MigrationInterface {
    name = 'IngestHooks1795327506391'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "hooks" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "name" character varying(255) NOT NULL,
                "account" character varying(25) NOT NULL,
                "enabled" boolean NOT NULL DEFAULT true,
                "schedule" character varying(255) NOT NULL,
                "timezone" character varying(64),
                "source" jsonb NOT NULL,
                "target" jsonb NOT NULL,
                "checksum" character varying(16) NOT NULL DEFAULT 'registrar',
                "rules" jsonb NOT NULL DEFAULT '[]',
                "after" jsonb NOT NULL DEFAULT '{}',
                "comment" character varying(255),
                "next_run_at" TIMESTAMP WITH TIME ZONE,
                "run_requested_at" TIMESTAMP WITH TIME ZONE,
                "last_run_at" TIMESTAMP WITH TIME ZONE,
                "last_success_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6f3b230c5a618ac05cdbde2f8db" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "hooks_next_run_idx" ON "hooks" ("next_run_at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "hooks_name_uq" ON "hooks" ("name")
        `);
        await queryRunner.query(`
            CREATE TABLE "hook_runs" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "hook_id" uuid NOT NULL,
                "trigger" character varying(16) NOT NULL,
                "state" character varying(16) NOT NULL,
                "instance" character varying(255) NOT NULL,
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                "files_listed" integer NOT NULL DEFAULT '0',
                "files_registered" integer NOT NULL DEFAULT '0',
                "files_skipped" integer NOT NULL DEFAULT '0',
                "files_failed" integer NOT NULL DEFAULT '0',
                "bytes_registered" bigint NOT NULL DEFAULT '0',
                "datasets_created" integer NOT NULL DEFAULT '0',
                "rules_created" integer NOT NULL DEFAULT '0',
                "sources_removed" integer NOT NULL DEFAULT '0',
                "errors" jsonb NOT NULL DEFAULT '[]',
                CONSTRAINT "PK_e40ce4b891e53cc2537cffac282" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "hook_runs_hook_started_idx" ON "hook_runs" ("hook_id", "started_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "ingested_files" (
                "hook_id" uuid NOT NULL,
                "path" character varying(1024) NOT NULL,
                "size" bigint NOT NULL,
                "mtime_ms" bigint NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "dataset" character varying(250),
                "state" character varying(1) NOT NULL,
                "run_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0208bdd4947b7a406b9c00718fe" PRIMARY KEY ("hook_id", "path", "size", "mtime_ms")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "ingested_files_open_idx" ON "ingested_files" ("hook_id", "state")
            WHERE state <> 'D'
        `);
        await queryRunner.query(`
            CREATE TABLE "hook_datasets" (
                "hook_id" uuid NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "state" character varying(1) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_afebc2139d2fe5b729f5ecbe9c8" PRIMARY KEY ("hook_id", "scope", "name")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "subscription_dids" (
                "subscription_id" uuid NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rules_created" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_78c4ad69dcba27115b2ecb849ce" PRIMARY KEY ("subscription_id", "scope", "name")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "subscription_dids"
        `);
        await queryRunner.query(`
            DROP TABLE "hook_datasets"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."ingested_files_open_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "ingested_files"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."hook_runs_hook_started_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "hook_runs"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."hooks_name_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."hooks_next_run_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "hooks"
        `);
    }

}
