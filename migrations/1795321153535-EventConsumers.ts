import { MigrationInterface, QueryRunner } from "typeorm";

export class EventConsumers1795321153535 implements MigrationInterface {
    name = 'EventConsumers1795321153535'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "event_consumer_offsets" (
                "group_name" character varying(255) NOT NULL,
                "topic" character varying(128) NOT NULL,
                "partition" integer NOT NULL DEFAULT '0',
                "last_id" bigint NOT NULL,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_332da96790bf3e59d5e4f2041af" PRIMARY KEY ("group_name", "topic", "partition")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "processed_events" (
                "group_name" character varying(255) NOT NULL,
                "event_id" bigint NOT NULL,
                "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f1b99b21682b7f6961a5c4a1584" PRIMARY KEY ("group_name", "event_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "processed_events_processed_at_idx" ON "processed_events" ("processed_at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."processed_events_processed_at_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "processed_events"
        `);
        await queryRunner.query(`
            DROP TABLE "event_consumer_offsets"
        `);
    }

}
