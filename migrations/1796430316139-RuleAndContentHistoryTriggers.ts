import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Written by hand: TypeORM cannot express triggers. The history tables (rules_hist_recent, rules_history,
 * contents_history) are written only here, by statement-level triggers over transition tables, so every change is
 * recorded whichever code made it, and a bulk change is recorded in one statement.
 *
 * - rules_hist_recent: a row when a rule is created and whenever its state or one of its settings changes (lock
 *   counters alone do not count);
 * - rules_history: a row when a rule is created and one when it is deleted (its last shape, at the deletion time);
 * - contents_history: a row for every content edge removed (detached, or gone with its collection).
 */
export class RuleAndContentHistoryTriggers1796430316139 implements MigrationInterface {
    name = 'RuleAndContentHistoryTriggers1796430316139'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION tarn_rules_created() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO rules_hist_recent (id, subscription_id, account, scope, name, did_type, state, error, rse_expression, copies, expires_at, weight, locked, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt, source_replica_expression, activity, grouping, notification, stuck_at, purge_replicas, ignore_availability, ignore_account_limit, priority, comments, child_rule_id, eol_at, split_container, meta, repair_cnt, created_at, updated_at)
                SELECT n.id, n.subscription_id, n.account, n.scope, n.name, n.did_type::text::rules_hist_recent_did_type_enum, n.state::text::rules_hist_recent_state_enum, n.error, n.rse_expression, n.copies, n.expires_at, n.weight, n.locked, n.locks_ok_cnt, n.locks_replicating_cnt, n.locks_stuck_cnt, n.source_replica_expression, n.activity, n.grouping::text::rules_hist_recent_grouping_enum, n.notification::text::rules_hist_recent_notification_enum, n.stuck_at, n.purge_replicas, n.ignore_availability, n.ignore_account_limit, n.priority, n.comments, n.child_rule_id, n.eol_at, n.split_container, n.meta, n.repair_cnt, n.created_at, n.updated_at FROM new_rules n;
                INSERT INTO rules_history (id, subscription_id, account, scope, name, did_type, state, error, rse_expression, copies, expires_at, weight, locked, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt, source_replica_expression, activity, grouping, notification, stuck_at, purge_replicas, ignore_availability, ignore_account_limit, priority, comments, child_rule_id, eol_at, split_container, meta, repair_cnt, created_at, updated_at)
                SELECT n.id, n.subscription_id, n.account, n.scope, n.name, n.did_type::text::rules_history_did_type_enum, n.state::text::rules_history_state_enum, n.error, n.rse_expression, n.copies, n.expires_at, n.weight, n.locked, n.locks_ok_cnt, n.locks_replicating_cnt, n.locks_stuck_cnt, n.source_replica_expression, n.activity, n.grouping::text::rules_history_grouping_enum, n.notification::text::rules_history_notification_enum, n.stuck_at, n.purge_replicas, n.ignore_availability, n.ignore_account_limit, n.priority, n.comments, n.child_rule_id, n.eol_at, n.split_container, n.meta, n.repair_cnt, n.created_at, n.updated_at FROM new_rules n;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER rules_created AFTER INSERT ON rules
            REFERENCING NEW TABLE AS new_rules FOR EACH STATEMENT EXECUTE FUNCTION tarn_rules_created()
        `);
        await queryRunner.query(`
            CREATE FUNCTION tarn_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO rules_hist_recent (id, subscription_id, account, scope, name, did_type, state, error, rse_expression, copies, expires_at, weight, locked, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt, source_replica_expression, activity, grouping, notification, stuck_at, purge_replicas, ignore_availability, ignore_account_limit, priority, comments, child_rule_id, eol_at, split_container, meta, repair_cnt, created_at, updated_at)
                SELECT n.id, n.subscription_id, n.account, n.scope, n.name, n.did_type::text::rules_hist_recent_did_type_enum, n.state::text::rules_hist_recent_state_enum, n.error, n.rse_expression, n.copies, n.expires_at, n.weight, n.locked, n.locks_ok_cnt, n.locks_replicating_cnt, n.locks_stuck_cnt, n.source_replica_expression, n.activity, n.grouping::text::rules_hist_recent_grouping_enum, n.notification::text::rules_hist_recent_notification_enum, n.stuck_at, n.purge_replicas, n.ignore_availability, n.ignore_account_limit, n.priority, n.comments, n.child_rule_id, n.eol_at, n.split_container, n.meta, n.repair_cnt, n.created_at, now()
                  FROM new_rules n JOIN old_rules o ON o.id = n.id
                 WHERE (n.state, n.rse_expression, n.copies, n.expires_at, n.locked, n.account, n.child_rule_id, n.priority,
                        n.activity, n.comments, n.purge_replicas, n.source_replica_expression, n.weight, n.grouping)
                       IS DISTINCT FROM
                       (o.state, o.rse_expression, o.copies, o.expires_at, o.locked, o.account, o.child_rule_id, o.priority,
                        o.activity, o.comments, o.purge_replicas, o.source_replica_expression, o.weight, o.grouping);
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER rules_changed AFTER UPDATE ON rules
            REFERENCING OLD TABLE AS old_rules NEW TABLE AS new_rules FOR EACH STATEMENT EXECUTE FUNCTION tarn_rules_changed()
        `);
        await queryRunner.query(`
            CREATE FUNCTION tarn_rules_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO rules_history (id, subscription_id, account, scope, name, did_type, state, error, rse_expression, copies, expires_at, weight, locked, locks_ok_cnt, locks_replicating_cnt, locks_stuck_cnt, source_replica_expression, activity, grouping, notification, stuck_at, purge_replicas, ignore_availability, ignore_account_limit, priority, comments, child_rule_id, eol_at, split_container, meta, repair_cnt, created_at, updated_at)
                SELECT o.id, o.subscription_id, o.account, o.scope, o.name, o.did_type::text::rules_history_did_type_enum, o.state::text::rules_history_state_enum, o.error, o.rse_expression, o.copies, o.expires_at, o.weight, o.locked, o.locks_ok_cnt, o.locks_replicating_cnt, o.locks_stuck_cnt, o.source_replica_expression, o.activity, o.grouping::text::rules_history_grouping_enum, o.notification::text::rules_history_notification_enum, o.stuck_at, o.purge_replicas, o.ignore_availability, o.ignore_account_limit, o.priority, o.comments, o.child_rule_id, o.eol_at, o.split_container, o.meta, o.repair_cnt, o.created_at, now() FROM old_rules o;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER rules_deleted AFTER DELETE ON rules
            REFERENCING OLD TABLE AS old_rules FOR EACH STATEMENT EXECUTE FUNCTION tarn_rules_deleted()
        `);
        await queryRunner.query(`
            CREATE FUNCTION tarn_contents_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO contents_history (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5, created_at, deleted_at)
                SELECT o.scope, o.name, o.child_scope, o.child_name, o.did_type::text::contents_history_did_type_enum,
                       o.child_type::text::contents_history_child_type_enum, o.bytes, o.adler32, o.md5, o.created_at, now()
                  FROM old_contents o;
                RETURN NULL;
            END $$
        `);
        await queryRunner.query(`
            CREATE TRIGGER contents_deleted AFTER DELETE ON contents
            REFERENCING OLD TABLE AS old_contents FOR EACH STATEMENT EXECUTE FUNCTION tarn_contents_deleted()
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER contents_deleted ON contents`);
        await queryRunner.query(`DROP FUNCTION tarn_contents_deleted()`);
        await queryRunner.query(`DROP TRIGGER rules_deleted ON rules`);
        await queryRunner.query(`DROP FUNCTION tarn_rules_deleted()`);
        await queryRunner.query(`DROP TRIGGER rules_changed ON rules`);
        await queryRunner.query(`DROP FUNCTION tarn_rules_changed()`);
        await queryRunner.query(`DROP TRIGGER rules_created ON rules`);
        await queryRunner.query(`DROP FUNCTION tarn_rules_created()`);
    }
}
