import { MigrationInterface, QueryRunner } from "typeorm";

export class RucioCompatibility1796430316138 implements MigrationInterface {
    name = 'RucioCompatibility1796430316138'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "traces" (
                "id" BIGSERIAL NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rse" character varying(255),
                "dataset_scope" character varying(25),
                "dataset_name" character varying(250),
                "event_type" character varying(64) NOT NULL,
                "account" character varying(25),
                "accessed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a28bd8d9b09a77802bb18fbc2f5" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_hist_recent_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_hist_recent_state_enum" AS ENUM('O', 'R', 'S', 'U', 'W', 'I')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_hist_recent_grouping_enum" AS ENUM('A', 'D', 'N')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_hist_recent_notification_enum" AS ENUM('Y', 'N', 'C', 'P')
        `);
        await queryRunner.query(`
            CREATE TABLE "rules_hist_recent" (
                "subscription_id" uuid,
                "account" character varying(25) NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."rules_hist_recent_did_type_enum" NOT NULL,
                "state" "public"."rules_hist_recent_state_enum" NOT NULL,
                "error" character varying(4000),
                "rse_expression" character varying(3000) NOT NULL,
                "copies" smallint NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "weight" character varying(255),
                "locked" boolean NOT NULL DEFAULT false,
                "locks_ok_cnt" bigint NOT NULL DEFAULT '0',
                "locks_replicating_cnt" bigint NOT NULL DEFAULT '0',
                "locks_stuck_cnt" bigint NOT NULL DEFAULT '0',
                "source_replica_expression" character varying(3000),
                "activity" character varying(50) NOT NULL DEFAULT 'default',
                "grouping" "public"."rules_hist_recent_grouping_enum" NOT NULL DEFAULT 'D',
                "notification" "public"."rules_hist_recent_notification_enum" NOT NULL DEFAULT 'N',
                "stuck_at" TIMESTAMP WITH TIME ZONE,
                "purge_replicas" boolean NOT NULL DEFAULT false,
                "ignore_availability" boolean NOT NULL DEFAULT false,
                "ignore_account_limit" boolean NOT NULL DEFAULT false,
                "priority" smallint NOT NULL DEFAULT '3',
                "comments" character varying(255),
                "child_rule_id" uuid,
                "eol_at" TIMESTAMP WITH TIME ZONE,
                "split_container" boolean NOT NULL DEFAULT false,
                "meta" jsonb,
                "repair_cnt" integer NOT NULL DEFAULT '0',
                "history_id" BIGSERIAL NOT NULL,
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_0befd039581ebd498477a9e9d41" PRIMARY KEY ("history_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_hist_recent_id_idx" ON "rules_hist_recent" ("id", "updated_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_history_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_history_state_enum" AS ENUM('O', 'R', 'S', 'U', 'W', 'I')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_history_grouping_enum" AS ENUM('A', 'D', 'N')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_history_notification_enum" AS ENUM('Y', 'N', 'C', 'P')
        `);
        await queryRunner.query(`
            CREATE TABLE "rules_history" (
                "subscription_id" uuid,
                "account" character varying(25) NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."rules_history_did_type_enum" NOT NULL,
                "state" "public"."rules_history_state_enum" NOT NULL,
                "error" character varying(4000),
                "rse_expression" character varying(3000) NOT NULL,
                "copies" smallint NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "weight" character varying(255),
                "locked" boolean NOT NULL DEFAULT false,
                "locks_ok_cnt" bigint NOT NULL DEFAULT '0',
                "locks_replicating_cnt" bigint NOT NULL DEFAULT '0',
                "locks_stuck_cnt" bigint NOT NULL DEFAULT '0',
                "source_replica_expression" character varying(3000),
                "activity" character varying(50) NOT NULL DEFAULT 'default',
                "grouping" "public"."rules_history_grouping_enum" NOT NULL DEFAULT 'D',
                "notification" "public"."rules_history_notification_enum" NOT NULL DEFAULT 'N',
                "stuck_at" TIMESTAMP WITH TIME ZONE,
                "purge_replicas" boolean NOT NULL DEFAULT false,
                "ignore_availability" boolean NOT NULL DEFAULT false,
                "ignore_account_limit" boolean NOT NULL DEFAULT false,
                "priority" smallint NOT NULL DEFAULT '3',
                "comments" character varying(255),
                "child_rule_id" uuid,
                "eol_at" TIMESTAMP WITH TIME ZONE,
                "split_container" boolean NOT NULL DEFAULT false,
                "meta" jsonb,
                "repair_cnt" integer NOT NULL DEFAULT '0',
                "history_id" BIGSERIAL NOT NULL,
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_de62857439baf4bf667d72c0e79" PRIMARY KEY ("history_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_history_did_idx" ON "rules_history" ("scope", "name", "updated_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."contents_history_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."contents_history_child_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TABLE "contents_history" (
                "did_type" "public"."contents_history_did_type_enum" NOT NULL,
                "child_type" "public"."contents_history_child_type_enum" NOT NULL,
                "bytes" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "history_id" BIGSERIAL NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "child_scope" character varying(25) NOT NULL,
                "child_name" character varying(250) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "deleted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a5dfdf0a33fc72a8fc53b7d31ca" PRIMARY KEY ("history_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "contents_history_did_idx" ON "contents_history" ("scope", "name")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."lifetime_exceptions_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."lifetime_exceptions_state_enum" AS ENUM('W', 'A', 'R')
        `);
        await queryRunner.query(`
            CREATE TABLE "lifetime_exceptions" (
                "id" uuid NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."lifetime_exceptions_did_type_enum" NOT NULL,
                "account" character varying(25) NOT NULL,
                "pattern" character varying(255),
                "comments" character varying(4000),
                "state" "public"."lifetime_exceptions_state_enum" NOT NULL DEFAULT 'W',
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_57f0654a912d5c7ea742eca4fc8" PRIMARY KEY ("id", "scope", "name")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "lifetime_exceptions_did_idx" ON "lifetime_exceptions" ("scope", "name")
        `);
        await queryRunner.query(`
            CREATE TABLE "rse_qos_policies" (
                "rse_id" uuid NOT NULL,
                "qos_policy" character varying(64) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_addbfff918adf84ddd3b46fd27b" PRIMARY KEY ("rse_id", "qos_policy")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "subscriptions"
            ADD "priority" smallint NOT NULL DEFAULT '3'
        `);
        await queryRunner.query(`
            CREATE INDEX "dids_guid_idx" ON "dids" ("guid")
            WHERE guid IS NOT NULL
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."dids_guid_idx"
        `);
        await queryRunner.query(`
            ALTER TABLE "subscriptions" DROP COLUMN "priority"
        `);
        await queryRunner.query(`
            DROP TABLE "rse_qos_policies"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."lifetime_exceptions_did_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "lifetime_exceptions"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."lifetime_exceptions_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."lifetime_exceptions_did_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."contents_history_did_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "contents_history"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."contents_history_child_type_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."contents_history_did_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_history_did_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "rules_history"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_history_notification_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_history_grouping_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_history_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_history_did_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_hist_recent_id_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "rules_hist_recent"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_hist_recent_notification_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_hist_recent_grouping_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_hist_recent_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_hist_recent_did_type_enum"
        `);
        await queryRunner.query(`
            DROP TABLE "traces"
        `);
    }

}
