import { EntityManager } from 'typeorm';
import { LockReasonCode } from '@tarn/domain';
import { lockRepository } from '@tarn/catalogue/repositories/lock.repository.js';
import { lockReasonRepository } from '@tarn/catalogue/repositories/lock-reason.repository.js';
import { requestRepository } from '@tarn/catalogue/repositories/request.repository.js';
import { transferRequestRepository } from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';

/**
 * The submitter's and finisher's statements on a never-analysed catalogue with a night's backlog (a fresh install's
 * first night: thousands of transfers waiting for a throttled destination, thousands of replicating locks). Each
 * statement, run under EXPLAIN ANALYZE, reads rows of `requests`, `locks` and `replicas` in proportion to its batch,
 * not to the backlog: the throttler's groups by a loose index scan and each group's claim up to its free slots; the
 * source ranking's replicas, the woken requests and the locks a finished copy satisfies, probed key by key.
 */
describe('transfer statements without statistics', () => {
  let db: TestDatabase;
  let src: CreatedRse;
  let dst: CreatedRse;
  const WAITING = 4000;
  const QUEUED = 40;
  const SUBMITTED = 100;
  const FILES = WAITING + QUEUED + SUBMITTED;
  const BATCH = 50;
  const SCOPE = 'user.jdoe';
  const file = (i: number) => `f.${String(i).padStart(6, '0')}`;

  /** Rows of each table the statements `work` sends read (scanned or filtered away), run under EXPLAIN ANALYZE and rolled back. */
  async function rowsRead(work: (manager: EntityManager) => Promise<unknown>): Promise<Record<string, number>> {
    const read: Record<string, number> = {};
    const visit = (node: Record<string, unknown>) => {
      const relation = node['Relation Name'] as string | undefined;
      if (relation) {
        const rows = Number(node['Actual Rows'] ?? 0) + Number(node['Rows Removed by Filter'] ?? 0) + Number(node['Rows Removed by Index Recheck'] ?? 0);
        read[relation] = (read[relation] ?? 0) + rows * Number(node['Actual Loops'] ?? 1);
      }
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) visit(child);
    };
    const rollback = new Error('rolled back');
    await db.dataSource
      .transaction(async (manager) => {
        const explaining = new Proxy(manager, {
          get(target, property, receiver) {
            if (property !== 'query') return Reflect.get(target, property, receiver);
            return async (sql: string, params?: unknown[]) => {
              const [{ 'QUERY PLAN': plan }] = await target.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
              visit(plan[0].Plan);
              return [[], 0];
            };
          },
        });
        await work(explaining).catch(() => undefined); // the callers' handling of the stand-in result does not matter
        throw rollback;
      })
      .catch((error) => {
        if (error !== rollback) throw error;
      });
    return read;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const table of ['requests', 'locks', 'replicas', 'requests_history', 'rules', 'dids']) {
      await db.dataSource.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    }
    const jdoe = await createAccount(db.dataSource, { account: 'jdoe' });
    await createScope(db.dataSource, { scope: SCOPE, account: jdoe.account });
    src = await createRse(db.dataSource, { rse: 'PLAN_SRC' });
    dst = await createRse(db.dataSource, { rse: 'PLAN_DST' });
    await db.dataSource.query(`INSERT INTO dids (scope, name, account, did_type) VALUES ($1, 'ds', 'jdoe', 'D')`, [SCOPE]);
    const [{ id: ruleId }] = await db.dataSource.query(
      `INSERT INTO rules (account, scope, name, did_type, rse_expression, copies, state) VALUES ('jdoe', $1, 'ds', 'D', $2, 1, 'R') RETURNING id`,
      [SCOPE, dst.rse],
    );
    await db.dataSource.query(
      `INSERT INTO dids (scope, name, account, did_type, bytes) SELECT $1, 'f.' || lpad(i::text, 6, '0'), 'jdoe', 'F', 20 FROM generate_series(1, $2) i`,
      [SCOPE, FILES],
    );
    await db.dataSource.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, state) SELECT $1, 'f.' || lpad(i::text, 6, '0'), $2, 20, 'A' FROM generate_series(1, $3) i`,
      [SCOPE, src.id, FILES],
    );
    await db.dataSource.query(
      `INSERT INTO replicas (scope, name, rse_id, bytes, state) SELECT $1, 'f.' || lpad(i::text, 6, '0'), $2, 20, 'C' FROM generate_series(1, $3) i`,
      [SCOPE, dst.id, FILES],
    );
    await db.dataSource.query(
      `INSERT INTO locks (scope, name, rule_id, rse_id, account, bytes, state) SELECT $1, 'f.' || lpad(i::text, 6, '0'), $2, $3, 'jdoe', 20, 'R' FROM generate_series(1, $4) i`,
      [SCOPE, ruleId, dst.id, FILES],
    );
    // The backlog: WAITING requests throttled behind SUBMITTED ones, QUEUED ones that came since (no source yet, in back-off).
    await db.dataSource.query(
      `INSERT INTO requests (request_type, scope, name, did_type, dest_rse_id, state, activity, account, bytes, rule_id, retry_after, err_msg)
       SELECT 'T', $1, 'f.' || lpad(i::text, 6, '0'), 'F', $2,
              (CASE WHEN i <= $3 THEN 'W' WHEN i <= $3 + $4 THEN 'Q' ELSE 'S' END)::requests_state_enum, 'User Subscriptions', 'jdoe', 20, $5,
              CASE WHEN i > $3 AND i <= $3 + $4 THEN now() + interval '1 hour' END,
              CASE WHEN i > $3 AND i <= $3 + $4 THEN 'no source: none yet' END
         FROM generate_series(1, $6) i`,
      [SCOPE, dst.id, WAITING, QUEUED, ruleId, FILES],
    );
    const [{ analysed }] = await db.dataSource.query(
      `SELECT count(*)::int AS analysed FROM pg_stat_user_tables WHERE relname IN ('requests', 'locks', 'replicas') AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`,
    );
    expect(analysed).toBe(0);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const throttle = { batchSize: 1000, perAccount: 1000, defaultMaxActive: SUBMITTED + 10, limits: [] };

  it('the throttler finds its groups and claims up to the free slots without reading the backlog', async () => {
    const claim = await rowsRead((m) => transferRequestRepository.claimQueued(m, throttle));
    expect(claim.requests).toBeGreaterThan(0);
    expect(claim.requests).toBeLessThan(SUBMITTED + 10 * 20);
    const full = await rowsRead((m) => transferRequestRepository.markThrottled(m, { defaultMaxActive: SUBMITTED, limits: [] }));
    expect(full.requests).toBeLessThan(SUBMITTED + QUEUED + 200);
  });

  it('ranking sources, waking requests for new replicas and satisfying or annotating locks probe their batch by key', async () => {
    const ids: string[] = (await db.dataSource.query(`SELECT id FROM requests WHERE state = 'W' ORDER BY name LIMIT $1`, [BATCH])).map((r: { id: string }) => r.id);
    const ranked = await rowsRead((m) => transferRequestRepository.submitWithSources(m, ids, [], ['file', 'https'], 'tarn'));
    expect(ranked.replicas).toBeLessThan(BATCH * 10);
    expect(ranked.requests).toBeLessThan(BATCH * 10);

    const files = Array.from({ length: BATCH }, (_, i) => ({ scope: SCOPE, name: file(WAITING + 1 + i) }));
    const woken = await rowsRead((m) => requestRepository.wakeForNewSources(m, files, { topic: 'transfer', eventType: 'transfer.queued', version: 1 }));
    expect(woken.requests).toBeLessThan(BATCH * 10);

    const replicas = Array.from({ length: BATCH }, (_, i) => ({ scope: SCOPE, name: file(i * 7 + 1), rseId: dst.id }));
    const satisfied = await rowsRead((m) => lockRepository.satisfy(m, replicas));
    expect(satisfied.locks).toBeGreaterThan(0);
    expect(satisfied.locks).toBeLessThan(BATCH * 10);
    const annotated = await rowsRead((m) =>
      lockReasonRepository.writeReplicating(
        m,
        replicas.map((r) => ({ ...r, code: LockReasonCode.QUEUED, text: 'waiting' })),
      ),
    );
    expect(annotated.locks).toBeGreaterThan(0);
    expect(annotated.locks).toBeLessThan(BATCH * 10);
  });
});
