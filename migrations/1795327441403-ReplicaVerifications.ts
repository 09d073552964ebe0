import { MigrationInterface, QueryRunner } from "typeorm";

export class ReplicaVerifications1795327441403 implements MigrationInterface {
    name = 'ReplicaVerifications1795327441403'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "replica_verifications" (
                "scope" character varying(25) NOT NULL,
                "name" character varying(250) NOT NULL,
                "rse_id" uuid NOT NULL,
                "account" character varying(25) NOT NULL,
                "attempts" integer NOT NULL DEFAULT '0',
                "not_before" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "last_error" character varying(4000),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_aae2059c6ea0ecb29991c5403ee" PRIMARY KEY ("scope", "name", "rse_id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "replica_verifications_due_idx" ON "replica_verifications" ("not_before")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."replica_verifications_due_idx"
        `);
        await queryRunner.query(`
            DROP TABLE "replica_verifications"
        `);
    }

}
