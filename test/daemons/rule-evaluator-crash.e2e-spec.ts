/**
 * The rule evaluator process (apps/rule-evaluator/src/main.ts, run from source in a child process) is killed
 * with SIGKILL in the middle of a large backlog of attachments, while a DID's transaction is open: no rule is
 * left half-applied (its counters equal its lock rows, each rule has all of its new locks or none), and a
 * restarted evaluator finishes the work. SIGTERM then stops it cleanly.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { inconsistencies, ruleDaemonsContext, type RuleDaemonsContext, sleep } from './support/rule-daemons-fixtures.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';

jest.setTimeout(240_000);

const DATASETS = 16;
const FILES = 1000;

describe('rule evaluator process killed mid-batch', () => {
  let t: RuleDaemonsContext;
  const children: ChildProcess[] = [];
  const ruleIds: string[] = [];

  function startEvaluator(): DaemonProcess {
    const started = startDaemonProcess('rule-evaluator', t.db.url, {
      TARN_RULE_EVALUATOR_INTERVAL_SECONDS: '1',
    });
    children.push(started.child);
    return started;
  }

  const queued = async () => Number((await t.db.dataSource.query(`SELECT count(*) AS n FROM updated_dids`))[0].n);
  const locksPerRule = async (): Promise<number[]> => {
    const rows = await t.db.dataSource.query(
      `SELECT r.id, (SELECT count(*) FROM locks l WHERE l.rule_id = r.id)::int AS n FROM rules r WHERE r.id = ANY($1::uuid[]) ORDER BY r.id`,
      [ruleIds],
    );
    return rows.map((r: { n: number }) => r.n);
  };
  const evaluatorBackends = async (where = 'TRUE') =>
    Number(
      (
        await t.db.dataSource.query(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tarn-rule-evaluator' AND ${where}`,
        )
      )[0].n,
    );

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    for (const name of ['CR_A', 'CR_B', 'CR_C']) await createRse(t.db.dataSource, { rse: name, attributes: { crash: true } });
    for (let i = 0; i < DATASETS; i++) {
      const ds = await createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `crash.${i}` });
      const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'crash', { copies: 2 }));
      ruleIds.push(ruleId);
      const files = await createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count: FILES, prefix: `crash${i}`, bytes: 7 });
      await t.dids.attach(t.user.issuer, [{ scope: ds.scope, name: ds.name, dids: files }]);
    }
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t?.close();
  });

  it('leaves every rule whole after SIGKILL, and the restarted evaluator finishes the backlog', async () => {
    expect(await queued()).toBe(DATASETS);
    const first = startEvaluator();
    const deadline = Date.now() + 90_000;
    while ((await queued()) > DATASETS - 3 && Date.now() < deadline && first.child.exitCode === null) await sleep(20);
    // Kill it while one of its transactions is open (a DID half-way through evaluation).
    let inTransaction = false;
    for (let i = 0; i < 2000 && !inTransaction; i++) inTransaction = (await evaluatorBackends(`state = 'idle in transaction'`)) > 0;
    expect(inTransaction).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    // The server rolls the open transaction back once it notices the connection is gone.
    for (let i = 0; i < 200 && (await evaluatorBackends()) > 0; i++) await sleep(50);
    expect(await evaluatorBackends()).toBe(0);

    const left = await queued();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(DATASETS - 3);
    const partial = await locksPerRule();
    // All or nothing per rule: its dataset's 1000 files twice, or not yet.
    expect(partial.filter((n) => n !== 0 && n !== 2 * FILES)).toEqual([]);
    expect(partial.filter((n) => n === 2 * FILES)).toHaveLength(DATASETS - left);
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);

    const second = startEvaluator();
    const deadline2 = Date.now() + 120_000;
    while ((await queued()) > 0 && Date.now() < deadline2) await sleep(100);
    expect(await queued()).toBe(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/SIGTERM: stopping after the item in hand/);
    expect(await locksPerRule()).toEqual(ruleIds.map(() => 2 * FILES));
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
    console.log(`crash test: killed with ${left} of ${DATASETS} DIDs left (one in its transaction); restarted, all ${DATASETS * 2 * FILES} locks consistent`);
  });
});
