import { MigrationInterface, QueryRunner } from "typeorm";

export class OnePathOneReplica1796449056807 implements MigrationInterface {
    name = 'OnePathOneReplica1796449056807'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // A catalogue from before paths had one owner may hold two replicas at one path: say which, change nothing.
        const shared: Array<{ rse: string; path: string; dids: string }> = await queryRunner.query(`
            SELECT s.rse, r.path, string_agg(r.scope || ':' || r.name, ', ' ORDER BY r.created_at) AS dids
              FROM replicas r JOIN rses s ON s.id = r.rse_id
             WHERE r.path IS NOT NULL
             GROUP BY s.rse, r.path HAVING count(*) > 1
             ORDER BY s.rse, r.path LIMIT 20
        `);
        if (shared.length > 0) {
            throw new Error(
                'Some replicas share a file on storage, which Tarn no longer allows (a deletion of one would delete the other\'s file): ' +
                shared.map((s) => `RSE ${s.rse} path '${s.path}': ${s.dids}`).join('; ') +
                '. Keep the replica that owns each file (usually the first named) and remove the others\' rows, then start Tarn again.',
            );
        }
        await queryRunner.query(`
            DROP INDEX "public"."replicas_rse_path_idx"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "replicas_rse_path_uq" ON "replicas" ("rse_id", "path")
            WHERE path IS NOT NULL
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."replicas_rse_path_uq"
        `);
        await queryRunner.query(`
            CREATE INDEX "replicas_rse_path_idx" ON "replicas" USING btree ("path", "rse_id")
            WHERE (path IS NOT NULL)
        `);
    }

}
