import { MigrationInterface, QueryRunner } from "typeorm";

export class Catalogue1795318698080 implements MigrationInterface {
    name = 'Catalogue1795318698080'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."accounts_account_type_enum" AS ENUM('USER', 'GROUP', 'SERVICE')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."accounts_status_enum" AS ENUM('ACTIVE', 'SUSPENDED', 'DELETED')
        `);
        await queryRunner.query(`
            CREATE TABLE "accounts" (
                "account" character varying(25) NOT NULL,
                "account_type" "public"."accounts_account_type_enum" NOT NULL,
                "status" "public"."accounts_status_enum" NOT NULL DEFAULT 'ACTIVE',
                "email" character varying(255),
                "suspended_at" TIMESTAMP WITH TIME ZONE,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_4d56d52597e38ed7249847e0964" PRIMARY KEY ("account")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "account_attributes" (
                "account" character varying(25) NOT NULL,
                "key" character varying(255) NOT NULL,
                "value" jsonb NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a6267cdb9dc1ce47b3eebe06238" PRIMARY KEY ("account", "key")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "identities" (
                "identity" character varying(2048) NOT NULL,
                "identity_type" character varying(16) NOT NULL,
                "password_hash" character varying(512),
                "email" character varying(255),
                "deleted" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_4314805c8d3f7068ad24fa79874" PRIMARY KEY ("identity", "identity_type")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "identity_accounts" (
                "identity" character varying(2048) NOT NULL,
                "identity_type" character varying(16) NOT NULL,
                "account" character varying(25) NOT NULL,
                "is_default" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f33e5adc814175c5fcb6497f07e" PRIMARY KEY ("identity", "identity_type", "account")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "identity_accounts_account_idx" ON "identity_accounts" ("account")
        `);
        await queryRunner.query(`
            CREATE TABLE "tokens" (
                "token_hash" character varying(128) NOT NULL,
                "account" character varying(25) NOT NULL,
                "identity" character varying(2048),
                "expired_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "ip" character varying(64),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_989478f994a58e1a3b8b9b35a09" PRIMARY KEY ("token_hash")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "tokens_expired_at_idx" ON "tokens" ("expired_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "tokens_account_idx" ON "tokens" ("account")
        `);
        await queryRunner.query(`
            CREATE TABLE "scopes" (
                "scope" character varying(25) NOT NULL,
                "account" character varying(25) NOT NULL,
                "is_default" boolean NOT NULL DEFAULT false,
                "restricted" boolean NOT NULL DEFAULT false,
                "closed" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_d9e2d9797ac2067ea1f9a54eced" PRIMARY KEY ("scope")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "scopes_account_idx" ON "scopes" ("account")
        `);
        await queryRunner.query(`
            CREATE TABLE "scope_grants" (
                "scope" character varying(25) NOT NULL,
                "account" character varying(25) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5905a679d5fd40e0ba7b0c5101f" PRIMARY KEY ("scope", "account")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "account_limits" (
                "account" character varying(25) NOT NULL,
                "rse_id" uuid NOT NULL,
                "bytes" bigint NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_756df5b720b8bef4c91f51b1b55" PRIMARY KEY ("account", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "account_expression_limits" (
                "account" character varying(25) NOT NULL,
                "rse_expression" character varying(3000) NOT NULL,
                "bytes" bigint NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_8c815e67a023136d254beafefae" PRIMARY KEY ("account", "rse_expression")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "account_usage" (
                "account" character varying(25) NOT NULL,
                "rse_id" uuid NOT NULL,
                "files" bigint NOT NULL DEFAULT '0',
                "bytes" bigint NOT NULL DEFAULT '0',
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_1971a9f082ff11c622006f8f008" PRIMARY KEY ("account", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."dids_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."dids_availability_enum" AS ENUM('A', 'D', 'L')
        `);
        await queryRunner.query(`
            CREATE TABLE "dids" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "account" character varying(25) NOT NULL,
                "did_type" "public"."dids_did_type_enum" NOT NULL,
                "is_open" boolean,
                "monotonic" boolean NOT NULL DEFAULT false,
                "hidden" boolean NOT NULL DEFAULT false,
                "obsolete" boolean NOT NULL DEFAULT false,
                "complete" boolean,
                "availability" "public"."dids_availability_enum" NOT NULL DEFAULT 'A',
                "bytes" bigint,
                "length" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "xxh64" character varying(16),
                "guid" uuid,
                "events" bigint,
                "expired_at" TIMESTAMP WITH TIME ZONE,
                "purge_replicas" boolean NOT NULL DEFAULT true,
                "closed_at" TIMESTAMP WITH TIME ZONE,
                "accessed_at" TIMESTAMP WITH TIME ZONE,
                "access_cnt" bigint NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6b610ac500b382132d5aa07dd0e" PRIMARY KEY ("scope", "name")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "dids_account_idx" ON "dids" ("account")
        `);
        await queryRunner.query(`
            CREATE INDEX "dids_expired_at_idx" ON "dids" ("expired_at")
            WHERE expired_at IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."deleted_dids_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TABLE "deleted_dids" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "account" character varying(25) NOT NULL,
                "did_type" "public"."deleted_dids_did_type_enum" NOT NULL,
                "bytes" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "deleted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_9c1d522297ffdcfcbd69fb17f23" PRIMARY KEY ("scope", "name")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."contents_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."contents_child_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TABLE "contents" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "child_scope" character varying(25) NOT NULL,
                "child_name" character varying(250) NOT NULL,
                "did_type" "public"."contents_did_type_enum" NOT NULL,
                "child_type" "public"."contents_child_type_enum" NOT NULL,
                "bytes" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f3cfbe7f1345d70063fc1fc0f16" PRIMARY KEY ("scope", "name", "child_scope", "child_name")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "contents_child_idx" ON "contents" ("child_scope", "child_name")
        `);
        await queryRunner.query(`
            CREATE TABLE "did_meta" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "meta" jsonb NOT NULL DEFAULT '{}',
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f6a5b4adf6b7a1ed2600f130b64" PRIMARY KEY ("scope", "name")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."updated_dids_rule_evaluation_action_enum" AS ENUM('A', 'D')
        `);
        await queryRunner.query(`
            CREATE TABLE "updated_dids" (
                "id" BIGSERIAL NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rule_evaluation_action" "public"."updated_dids_rule_evaluation_action_enum" NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_958ef4cf797619bc398055fa5c9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "updated_dids_did_idx" ON "updated_dids" ("scope", "name")
        `);
        await queryRunner.query(`
            CREATE TABLE "configs" (
                "section" character varying(128) NOT NULL,
                "opt" character varying(128) NOT NULL,
                "value" character varying(4000) NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ded69c3303b52ef59ed78dee8e8" PRIMARY KEY ("section", "opt")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "heartbeats" (
                "executable" character varying(64) NOT NULL,
                "hostname" character varying(255) NOT NULL,
                "pid" integer NOT NULL,
                "thread" character varying(64) NOT NULL DEFAULT 'main',
                "payload" jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_2c4a59560bc866f4e2e8116c654" PRIMARY KEY ("executable", "hostname", "pid", "thread")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "heartbeats_updated_at_idx" ON "heartbeats" ("updated_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."outbox_messages_state_enum" AS ENUM('P', 'S')
        `);
        await queryRunner.query(`
            CREATE TABLE "outbox_messages" (
                "id" BIGSERIAL NOT NULL,
                "topic" character varying(128) NOT NULL,
                "key" character varying(512) NOT NULL,
                "event_type" character varying(128) NOT NULL,
                "version" smallint NOT NULL DEFAULT '1',
                "payload" jsonb NOT NULL,
                "state" "public"."outbox_messages_state_enum" NOT NULL DEFAULT 'P',
                "attempts" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "sent_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_0171348f527c64b137e4d4f5b66" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "outbox_messages_sent_at_idx" ON "outbox_messages" ("sent_at")
            WHERE sent_at IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "outbox_messages_pending_idx" ON "outbox_messages" ("id")
            WHERE state = 'P'
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."replicas_state_enum" AS ENUM('A', 'U', 'C', 'B', 'D', 'T')
        `);
        await queryRunner.query(`
            CREATE TABLE "replicas" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rse_id" uuid NOT NULL,
                "bytes" bigint NOT NULL,
                "adler32" character varying(8),
                "md5" character varying(32),
                "xxh64" character varying(16),
                "path" character varying(1024),
                "state" "public"."replicas_state_enum" NOT NULL DEFAULT 'U',
                "lock_cnt" integer NOT NULL DEFAULT '0',
                "tombstone" TIMESTAMP WITH TIME ZONE,
                "accessed_at" TIMESTAMP WITH TIME ZONE,
                "access_cnt" bigint NOT NULL DEFAULT '0',
                "error" character varying(4000),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_339ad14aae080f768107a6f95c8" PRIMARY KEY ("scope", "name", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "replicas_rse_path_idx" ON "replicas" ("rse_id", "path")
            WHERE path IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "replicas_state_idx" ON "replicas" ("state")
        `);
        await queryRunner.query(`
            CREATE INDEX "replicas_rse_tombstone_idx" ON "replicas" ("rse_id", "tombstone")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."bad_replicas_state_enum" AS ENUM('B', 'S', 'L', 'R', 'D', 'T')
        `);
        await queryRunner.query(`
            CREATE TABLE "bad_replicas" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rse_id" uuid NOT NULL,
                "state" "public"."bad_replicas_state_enum" NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "reason" character varying(255),
                "account" character varying(25) NOT NULL,
                "bytes" bigint,
                "expires_at" TIMESTAMP WITH TIME ZONE,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_dd0a5a6f920068e736b74a33788" PRIMARY KEY ("scope", "name", "rse_id", "state", "created_at")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "bad_replicas_state_idx" ON "bad_replicas" ("state", "rse_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "quarantined_replicas" (
                "rse_id" uuid NOT NULL,
                "path" character varying(1024) NOT NULL,
                "bytes" bigint,
                "scope" character varying(25),
                "name" character varying(250),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_5108696e0680a3b8cc8a6cdbd69" PRIMARY KEY ("rse_id", "path")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_request_type_enum" AS ENUM('T', 'D', 'I', 'O')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_state_enum" AS ENUM('Q', 'S', 'D', 'F', 'L', '0', 'W', 'G')
        `);
        await queryRunner.query(`
            CREATE TABLE "requests" (
                "request_type" "public"."requests_request_type_enum" NOT NULL DEFAULT 'T',
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."requests_did_type_enum" NOT NULL DEFAULT 'F',
                "dest_rse_id" uuid NOT NULL,
                "source_rse_id" uuid,
                "state" "public"."requests_state_enum" NOT NULL,
                "external_id" character varying(64),
                "external_host" character varying(255),
                "retry_count" integer NOT NULL DEFAULT '0',
                "err_msg" character varying(4000),
                "previous_attempt_id" uuid,
                "rule_id" uuid,
                "activity" character varying(50) NOT NULL DEFAULT 'default',
                "account" character varying(25),
                "bytes" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "dest_url" character varying(2048),
                "priority" smallint NOT NULL DEFAULT '3',
                "transfertool" character varying(64),
                "attributes" jsonb,
                "submitted_at" TIMESTAMP WITH TIME ZONE,
                "started_at" TIMESTAMP WITH TIME ZONE,
                "transferred_at" TIMESTAMP WITH TIME ZONE,
                "retry_after" TIMESTAMP WITH TIME ZONE,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0428f484e96f9e6a55955f29b5f" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "requests_did_dest_type_uq" ON "requests" ("scope", "name", "dest_rse_id", "request_type")
        `);
        await queryRunner.query(`
            CREATE INDEX "requests_rule_idx" ON "requests" ("rule_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "requests_state_dest_idx" ON "requests" ("state", "dest_rse_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_history_request_type_enum" AS ENUM('T', 'D', 'I', 'O')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_history_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."requests_history_state_enum" AS ENUM('Q', 'S', 'D', 'F', 'L', '0', 'W', 'G')
        `);
        await queryRunner.query(`
            CREATE TABLE "requests_history" (
                "request_type" "public"."requests_history_request_type_enum" NOT NULL DEFAULT 'T',
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."requests_history_did_type_enum" NOT NULL DEFAULT 'F',
                "dest_rse_id" uuid NOT NULL,
                "source_rse_id" uuid,
                "state" "public"."requests_history_state_enum" NOT NULL,
                "external_id" character varying(64),
                "external_host" character varying(255),
                "retry_count" integer NOT NULL DEFAULT '0',
                "err_msg" character varying(4000),
                "previous_attempt_id" uuid,
                "rule_id" uuid,
                "activity" character varying(50) NOT NULL DEFAULT 'default',
                "account" character varying(25),
                "bytes" bigint,
                "adler32" character varying(8),
                "md5" character varying(32),
                "dest_url" character varying(2048),
                "priority" smallint NOT NULL DEFAULT '3',
                "transfertool" character varying(64),
                "attributes" jsonb,
                "submitted_at" TIMESTAMP WITH TIME ZONE,
                "started_at" TIMESTAMP WITH TIME ZONE,
                "transferred_at" TIMESTAMP WITH TIME ZONE,
                "retry_after" TIMESTAMP WITH TIME ZONE,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "id" uuid NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_0edbf86afd015beb84494655831" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "requests_history_rule_idx" ON "requests_history" ("rule_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "requests_history_did_idx" ON "requests_history" ("scope", "name")
        `);
        await queryRunner.query(`
            CREATE TABLE "request_sources" (
                "request_id" uuid NOT NULL,
                "rse_id" uuid NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "dest_rse_id" uuid NOT NULL,
                "url" character varying(2048),
                "bytes" bigint,
                "ranking" integer NOT NULL DEFAULT '0',
                "is_using" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e968fe45c6749651d845f60db25" PRIMARY KEY ("request_id", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "request_sources_rse_idx" ON "request_sources" ("rse_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rses_rse_type_enum" AS ENUM('DISK', 'TAPE')
        `);
        await queryRunner.query(`
            CREATE TABLE "rses" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "rse" character varying(255) NOT NULL,
                "rse_type" "public"."rses_rse_type_enum" NOT NULL DEFAULT 'DISK',
                "deterministic" boolean NOT NULL DEFAULT true,
                "volatile" boolean NOT NULL DEFAULT false,
                "staging" boolean NOT NULL DEFAULT false,
                "qos_class" character varying(64),
                "availability_read" boolean NOT NULL DEFAULT true,
                "availability_write" boolean NOT NULL DEFAULT true,
                "availability_delete" boolean NOT NULL DEFAULT true,
                "city" character varying(255),
                "region_code" character varying(8),
                "country_name" character varying(255),
                "continent" character varying(8),
                "time_zone" character varying(255),
                "longitude" double precision,
                "latitude" double precision,
                "deleted" boolean NOT NULL DEFAULT false,
                "deleted_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_2c636868856421a94f8ef86bed5" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "rses_name_live_uq" ON "rses" ("rse")
            WHERE deleted = false
        `);
        await queryRunner.query(`
            CREATE TABLE "rse_attributes" (
                "rse_id" uuid NOT NULL,
                "key" character varying(255) NOT NULL,
                "value" jsonb NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6a403ff90ea0fae92acb5e8324c" PRIMARY KEY ("rse_id", "key")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "rse_attributes_key_idx" ON "rse_attributes" ("key")
        `);
        await queryRunner.query(`
            CREATE TABLE "rse_protocols" (
                "rse_id" uuid NOT NULL,
                "scheme" character varying(255) NOT NULL,
                "hostname" character varying(255) NOT NULL,
                "port" integer NOT NULL,
                "prefix" character varying(1024) NOT NULL DEFAULT '',
                "impl" character varying(255) NOT NULL,
                "read_lan" integer NOT NULL DEFAULT '0',
                "write_lan" integer NOT NULL DEFAULT '0',
                "delete_lan" integer NOT NULL DEFAULT '0',
                "read_wan" integer NOT NULL DEFAULT '0',
                "write_wan" integer NOT NULL DEFAULT '0',
                "delete_wan" integer NOT NULL DEFAULT '0',
                "third_party_copy_read" integer NOT NULL DEFAULT '0',
                "third_party_copy_write" integer NOT NULL DEFAULT '0',
                "extended_attributes" jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_55d7a2e0ba8bb5e0855f1c0f3cb" PRIMARY KEY ("rse_id", "scheme", "hostname", "port")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "rse_limits" (
                "rse_id" uuid NOT NULL,
                "name" character varying(255) NOT NULL,
                "value" bigint NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f1448f81bf49743e9f757505b1a" PRIMARY KEY ("rse_id", "name")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "rse_usage" (
                "rse_id" uuid NOT NULL,
                "source" character varying(255) NOT NULL,
                "used" bigint NOT NULL DEFAULT '0',
                "free" bigint,
                "files" bigint NOT NULL DEFAULT '0',
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_3552d27fdfc548c7c90dd824ee7" PRIMARY KEY ("rse_id", "source")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "distances" (
                "src_rse_id" uuid NOT NULL,
                "dest_rse_id" uuid NOT NULL,
                "distance" integer NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_c4559ca91d2b3ac2aed27162bed" PRIMARY KEY ("src_rse_id", "dest_rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "distances_dest_idx" ON "distances" ("dest_rse_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_did_type_enum" AS ENUM('F', 'D', 'C')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_state_enum" AS ENUM('O', 'R', 'S', 'U', 'W', 'I')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_grouping_enum" AS ENUM('A', 'D', 'N')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."rules_notification_enum" AS ENUM('Y', 'N', 'C', 'P')
        `);
        await queryRunner.query(`
            CREATE TABLE "rules" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "subscription_id" uuid,
                "account" character varying(25) NOT NULL,
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "did_type" "public"."rules_did_type_enum" NOT NULL,
                "state" "public"."rules_state_enum" NOT NULL,
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
                "grouping" "public"."rules_grouping_enum" NOT NULL DEFAULT 'D',
                "notification" "public"."rules_notification_enum" NOT NULL DEFAULT 'N',
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
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_10fef696a7d61140361b1b23608" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_child_rule_idx" ON "rules" ("child_rule_id")
            WHERE child_rule_id IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_account_idx" ON "rules" ("account")
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_expires_at_idx" ON "rules" ("expires_at")
            WHERE expires_at IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE INDEX "rules_state_idx" ON "rules" ("state")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "rules_did_account_expression_copies_uq" ON "rules" (
                "scope",
                "name",
                "account",
                "rse_expression",
                "copies"
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."locks_state_enum" AS ENUM('O', 'R', 'S')
        `);
        await queryRunner.query(`
            CREATE TABLE "locks" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rule_id" uuid NOT NULL,
                "rse_id" uuid NOT NULL,
                "account" character varying(25) NOT NULL,
                "bytes" bigint NOT NULL,
                "state" "public"."locks_state_enum" NOT NULL DEFAULT 'R',
                "repair_cnt" integer NOT NULL DEFAULT '0',
                "error" character varying(4000),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_09b8f3cc84c723665e39b981fba" PRIMARY KEY ("scope", "name", "rule_id", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "locks_rse_idx" ON "locks" ("rse_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "locks_rule_state_idx" ON "locks" ("rule_id", "state")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."dataset_locks_state_enum" AS ENUM('O', 'R', 'S')
        `);
        await queryRunner.query(`
            CREATE TABLE "dataset_locks" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rule_id" uuid NOT NULL,
                "rse_id" uuid NOT NULL,
                "account" character varying(25) NOT NULL,
                "state" "public"."dataset_locks_state_enum" NOT NULL DEFAULT 'R',
                "length" bigint,
                "bytes" bigint,
                "accessed_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_25ffa27297e6a2a77d8747d3c26" PRIMARY KEY ("scope", "name", "rule_id", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "dataset_locks_rse_idx" ON "dataset_locks" ("rse_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "dataset_locks_rule_idx" ON "dataset_locks" ("rule_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."subscriptions_state_enum" AS ENUM('A', 'I', 'N', 'U', 'B')
        `);
        await queryRunner.query(`
            CREATE TABLE "subscriptions" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "name" character varying(255) NOT NULL,
                "account" character varying(25) NOT NULL,
                "state" "public"."subscriptions_state_enum" NOT NULL DEFAULT 'A',
                "filter" jsonb NOT NULL,
                "replication_rules" jsonb NOT NULL,
                "retroactive" boolean NOT NULL DEFAULT false,
                "comments" character varying(255),
                "last_processed" TIMESTAMP WITH TIME ZONE,
                "expired_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a87248d73155605cf782be9ee5e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "subscriptions_state_idx" ON "subscriptions" ("state")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "subscriptions_name_account_uq" ON "subscriptions" ("name", "account")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."subscriptions_name_account_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."subscriptions_state_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "subscriptions"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."subscriptions_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."dataset_locks_rule_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."dataset_locks_rse_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "dataset_locks"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."dataset_locks_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."locks_rule_state_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."locks_rse_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "locks"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."locks_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_did_account_expression_copies_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_state_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_expires_at_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_account_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rules_child_rule_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "rules"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_notification_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_grouping_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rules_did_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."distances_dest_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "distances"
        `);
        await queryRunner.query(`
            DROP TABLE "rse_usage"
        `);
        await queryRunner.query(`
            DROP TABLE "rse_limits"
        `);
        await queryRunner.query(`
            DROP TABLE "rse_protocols"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rse_attributes_key_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "rse_attributes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."rses_name_live_uq"
        `);
        await queryRunner.query(`
            DROP TABLE "rses"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."rses_rse_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."request_sources_rse_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "request_sources"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."requests_history_did_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."requests_history_rule_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "requests_history"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_history_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_history_did_type_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_history_request_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."requests_state_dest_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."requests_rule_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."requests_did_dest_type_uq"
        `);
        await queryRunner.query(`
            DROP TABLE "requests"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_state_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_did_type_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."requests_request_type_enum"
        `);
        await queryRunner.query(`
            DROP TABLE "quarantined_replicas"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."bad_replicas_state_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "bad_replicas"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."bad_replicas_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."replicas_rse_tombstone_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."replicas_state_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."replicas_rse_path_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "replicas"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."replicas_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."outbox_messages_pending_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."outbox_messages_sent_at_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "outbox_messages"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."outbox_messages_state_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."heartbeats_updated_at_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "heartbeats"
        `);
        await queryRunner.query(`
            DROP TABLE "configs"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."updated_dids_did_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "updated_dids"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."updated_dids_rule_evaluation_action_enum"
        `);
        await queryRunner.query(`
            DROP TABLE "did_meta"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."contents_child_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "contents"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."contents_child_type_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."contents_did_type_enum"
        `);
        await queryRunner.query(`
            DROP TABLE "deleted_dids"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."deleted_dids_did_type_enum"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."dids_expired_at_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."dids_account_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "dids"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."dids_availability_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."dids_did_type_enum"
        `);
        await queryRunner.query(`
            DROP TABLE "account_usage"
        `);
        await queryRunner.query(`
            DROP TABLE "account_expression_limits"
        `);
        await queryRunner.query(`
            DROP TABLE "account_limits"
        `);
        await queryRunner.query(`
            DROP TABLE "scope_grants"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."scopes_account_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "scopes"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."tokens_account_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."tokens_expired_at_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "tokens"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."identity_accounts_account_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "identity_accounts"
        `);
        await queryRunner.query(`
            DROP TABLE "identities"
        `);
        await queryRunner.query(`
            DROP TABLE "account_attributes"
        `);
        await queryRunner.query(`
            DROP TABLE "accounts"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."accounts_status_enum"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."accounts_account_type_enum"
        `);
    }

}
