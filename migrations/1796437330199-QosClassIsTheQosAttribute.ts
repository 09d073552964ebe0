import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Data only: an RSE's QoS class is its QOS attribute (what rules select with QOS=SAFE) and its qos_class column alike.
 * Where an earlier catalogue has one without the other, the other is written; where they differ, the attribute wins.
 */
export class QosClassIsTheQosAttribute1796437330199 implements MigrationInterface {
    name = 'QosClassIsTheQosAttribute1796437330199'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            UPDATE "rses" r SET "qos_class" = left(a."value" #>> '{}', 64)
              FROM "rse_attributes" a
             WHERE a."rse_id" = r."id" AND a."key" = 'QOS' AND r."qos_class" IS DISTINCT FROM left(a."value" #>> '{}', 64)
        `);
        await queryRunner.query(`
            INSERT INTO "rse_attributes" ("rse_id", "key", "value")
            SELECT "id", 'QOS', to_jsonb("qos_class") FROM "rses" WHERE "qos_class" IS NOT NULL
            ON CONFLICT DO NOTHING
        `);
    }

    public async down(): Promise<void> {
        // Both stay: they are the same value.
    }

}
