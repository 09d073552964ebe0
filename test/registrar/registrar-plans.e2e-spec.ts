import { EntityManager } from 'typeorm';
import { replicaRepository, sortReplicaKeys, type ReplicaKey } from '@tarn/catalogue/repositories/replica.repository.js';
import { replicaVerificationRepository } from '@tarn/catalogue/repositories/replica-verification.repository.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';

/**
 * The registrar's statements on a never-analysed catalogue (a fresh install's first night): planned from the
 * batch's keys with primary-key probes, never by scanning an RSE's replicas per key (replicas_rse_tombstone_idx)
 * or the whole table. Checked on their plans (EXPLAIN of the very statements the repositories send).
 */
describe('registrar statements without statistics', () => {
  let db: TestDatabase;
  let disk: CreatedRse;
  let keys: ReplicaKey[];
  const FILES = 3000;

  /** The plans of the statements `work` sends (EXPLAIN instead of running them). */
  async function plansOf(work: (manager: EntityManager) => Promise<unknown>): Promise<string[]> {
    const plans: string[] = [];
    await db.dataSource.transaction(async (manager) => {
      const explaining = new Proxy(manager, {
        get(target, property, receiver) {
          if (property !== 'query') return Reflect.get(target, property, receiver);
          return async (sql: string, params?: unknown[]) => {
            const rows: Array<{ 'QUERY PLAN': string }> = await target.query(`EXPLAIN ${sql}`, params);
            plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
            return [{}]; // one empty row: enough for the callers' result handling
          };
        },
      });
      await work(explaining);
    });
    return plans;
  }

  const expectKeyedPlan = (plan: string) => {
    expect(plan).not.toContain('replicas_rse_tombstone_idx');
    expect(plan).not.toMatch(/Seq Scan on (replicas|dids)\b/);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const table of ['replicas', 'dids', 'replica_verifications', 'rses']) {
      await db.dataSource.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    const jdoe = await createAccount(db.dataSource, { account: 'jdoe' });
    await createScope(db.dataSource, { scope: 'user.jdoe', account: jdoe.account });
    disk = await createRse(db.dataSource, { rse: 'PLAN_DISK', deterministic: false });
    await db.dataSource.query(
      `INSERT INTO dids (scope, name, account, did_type, bytes) SELECT 'user.jdoe', 'f.' || i, 'jdoe', 'F', 20 FROM generate_series(1, $1) i`,
      [FILES],
    );
    await db.dataSource.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, state, path) SELECT 'user.jdoe', 'f.' || i, $2, 20, 'C', 'p/' || i FROM generate_series(1, $1) i`,
      [FILES, disk.id],
    );
    await db.dataSource.query(`INSERT INTO replica_verifications (scope, name, rse_id, account) SELECT scope, name, rse_id, 'jdoe' FROM replicas`);
    const [{ analysed }] = await db.dataSource.query(
      `SELECT count(*)::int AS analysed FROM pg_stat_user_tables WHERE relname IN ('replicas', 'replica_verifications') AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`,
    );
    expect(analysed).toBe(0);
    keys = sortReplicaKeys(
      (await db.dataSource.query(`SELECT scope, name, rse_id AS "rseId" FROM replicas ORDER BY name LIMIT 1000`)) as ReplicaKey[],
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  // Each writer first locks its rows (lockReplicaRows, by primary-key probes), then writes them by tuple id.
  it('setAvailable probes the primary key per key and updates by tuple id', async () => {
    const [lock, plan] = await plansOf((m) => replicaRepository.setAvailable(m, keys));
    expectKeyedPlan(lock);
    expectKeyedPlan(plan);
    expect(plan).toContain('Tid Scan on replicas');
  });

  it('lease and record reach replicas, their checks and files by primary key or tuple id', async () => {
    const plans = await plansOf(async (m) => {
      await replicaVerificationRepository.lease(m, 1000, 600);
      await replicaVerificationRepository.record(
        m,
        keys.map((k, i) => ({ ...k, verdict: i % 3 === 0 ? 'bad' : i % 3 === 1 ? 'retry' : 'ok', adler32: '0123abcd', reason: 'x', retryAfterSeconds: 30 })),
        { topic: 'replica', eventType: 'replica.bad', version: 1 },
      );
    });
    expect(plans).toHaveLength(3); // lease; record's row locks; record
    for (const plan of plans) expectKeyedPlan(plan);
    expect(plans[2]).toContain('Tid Scan on replicas');
  });

  it('announce updates by tuple id', async () => {
    const [lock, plan] = await plansOf((m) => replicaVerificationRepository.announce(m, keys, 'jdoe', { topic: 'replica', eventType: 'replica.announced', version: 1 }));
    expectKeyedPlan(lock);
    expectKeyedPlan(plan);
    expect(plan).toContain('Tid Scan on replicas');
  });
});
