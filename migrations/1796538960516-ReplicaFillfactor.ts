import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Replicas change state often (BEING_DELETED, AVAILABLE, locked, tombstoned). With room kept in each page, a row's
 * new version stays beside it, and one that must move asks the free-space map for a page with that much room:
 * packed full, a vacuumed catalogue of millions of rows sent each moved version to a page of its own (one read and
 * one full-page image in the write-ahead log per replica the reaper claimed). Pages written from now on keep it.
 */
export class ReplicaFillfactor1796538960516 implements MigrationInterface {
    name = 'ReplicaFillfactor1796538960516'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "replicas" SET (fillfactor = 90)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "replicas" RESET (fillfactor)`);
    }

}
