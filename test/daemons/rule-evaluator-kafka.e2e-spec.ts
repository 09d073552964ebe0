/**
 * The rule evaluator in its loop, woken by did.attached / did.detached events on the real Kafka broker (outbox ->
 * messenger -> Kafka -> consumer group `rule-evaluator`), with a sweep interval far too long to matter: attach and
 * detach reach the locks within seconds. A dataset receiving files continually while its transfers complete,
 * evaluated by two evaluators at once, stays consistent.
 */
import { jest } from '@jest/globals';
import { unitOfWork } from '@tarn/catalogue';
import { DaemonMetrics, DaemonRunner } from '@tarn/daemon';
import { KafkaEventBus, silentLogger } from '@tarn/events';
import { markReplicasAvailable } from '@tarn/core/replicas/mark-replicas-available.js';
import { createTestTopics, deleteTestTopics, kafkaBrokers, testTopicPrefix } from '@tarn/testing/kafka.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { KafkaOutboxPublisher } from '../../apps/messenger/src/kafka-outbox.publisher.js';
import { loadMessengerSettings } from '../../apps/messenger/src/messenger.config.js';
import { MessengerWorker } from '../../apps/messenger/src/messenger.worker.js';
import { RuleEvaluatorWorker } from '../../apps/rule-evaluator/src/rule-evaluator.worker.js';
import { inconsistencies, locksPerRse, recordingLogger, ruleDaemonsContext, type RuleDaemonsContext, ruleRow, sleep } from './support/rule-daemons-fixtures.js';

jest.setTimeout(120_000);

describe('rule evaluator woken through Kafka', () => {
  const prefix = testTopicPrefix();
  let t: RuleDaemonsContext;
  let rses: CreatedRse[];
  let n = 0;
  const buses: KafkaEventBus[] = [];
  const runners: DaemonRunner[] = [];
  const loops: Promise<void>[] = [];
  const workers: RuleEvaluatorWorker[] = [];

  const files = (count: number) => createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count, prefix: `k${++n}`, bytes: 100 });
  const lockCount = async (ruleId: string) => (await readLocks(t.db.dataSource, ruleId)).length;
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<number> {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await sleep(25);
    }
    return Date.now() - start;
  }

  function start(runner: DaemonRunner): void {
    runners.push(runner);
    loops.push(runner.start());
  }

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    rses = [];
    for (const name of ['KF_A', 'KF_B', 'KF_C']) rses.push(await createRse(t.db.dataSource, { rse: name, attributes: { kafka: true } }));
    await createTestTopics(['tarn.did', 'tarn.rule', 'tarn.replica', 'tarn.transfer', 'tarn.deletion'].map((topic) => prefix + topic), 3);
    const messenger = new MessengerWorker(
      t.db.dataSource,
      new KafkaOutboxPublisher({ brokers: kafkaBrokers(), topicPrefix: prefix }),
      loadMessengerSettings({}),
      silentLogger,
    );
    start(new DaemonRunner(messenger, { dataSource: t.db.dataSource, metrics: new DaemonMetrics(), logger: silentLogger }));
    for (const [thread, intervalMs] of [['a', 600_000], ['b', 600_000]] as const) {
      const bus = new KafkaEventBus({ brokers: kafkaBrokers(), topicPrefix: prefix, logger: silentLogger, consumer: { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 } });
      buses.push(bus);
      const worker = Object.assign(new RuleEvaluatorWorker(t.reevaluation, bus, { intervalMs, passBudgetMs: 2000, claimLimit: 10_000 }, silentLogger), { thread });
      workers.push(worker);
      start(new DaemonRunner(worker, { dataSource: t.db.dataSource, metrics: new DaemonMetrics(), logger: recordingLogger() }));
    }
    for (const worker of workers) expect(await worker.eventWake.ready()).toBe(true);
    await sleep(1500); // both members joined and positioned at the end of the topic
  });

  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.allSettled(loops);
    await Promise.all(buses.map((b) => b.close()));
    await t?.close();
    await deleteTestTopics(prefix);
  });

  it('attach 100 files: 200 locks within seconds; detach 10: their 20 locks go', async () => {
    const ds = await createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `kds.${++n}` });
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'kafka', { copies: 2 }));
    const added = await files(100);
    const began = Date.now();
    await t.dids.attach(t.user.issuer, [{ scope: ds.scope, name: ds.name, dids: added }]);
    await until('200 locks', async () => (await lockCount(ruleId)) === 200);
    const attachMs = Date.now() - began;
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ replicating: 200 });

    const detachedAt = Date.now();
    await t.dids.detach(t.user.issuer, [{ scope: ds.scope, name: ds.name, dids: added.slice(0, 10) }]);
    await until('180 locks', async () => (await lockCount(ruleId)) === 180);
    console.log(`Kafka-woken evaluator: attach -> 200 locks in ${attachMs} ms, detach -> locks gone in ${Date.now() - detachedAt} ms`);
    expect(await ruleRow(t.db.dataSource, ruleId)).toMatchObject({ replicating: 180 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });

  it('keeps a rule on a dataset that receives files continually consistent, its transfers completing meanwhile', async () => {
    const ds = await createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `kgrow.${++n}` });
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'kafka', { copies: 2 }));
    const [rseA, rseB] = (await t.db.dataSource.query(`SELECT rse_id FROM dataset_locks WHERE rule_id = $1 ORDER BY rse_id`, [ruleId])).map(
      (r: { rse_id: string }) => r.rse_id,
    );
    let attached = 0;
    let completed = 0;
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 24; i++) {
        const batch = await files(5);
        await t.dids.attach(t.user.issuer, [{ scope: ds.scope, name: ds.name, dids: batch }]);
        attached += batch.length;
        await sleep(250);
      }
      writing = false;
    })();
    const finisher = (async () => {
      while (writing) {
        const copying: Array<{ name: string; rse_id: string }> = await t.db.dataSource.query(
          `SELECT r.name, r.rse_id FROM replicas r JOIN locks l ON l.scope = r.scope AND l.name = r.name AND l.rse_id = r.rse_id
            WHERE l.rule_id = $1 AND r.state = 'C' ORDER BY random() LIMIT 7`,
          [ruleId],
        );
        if (copying.length > 0) {
          await unitOfWork(t.db.dataSource, { what: 'transfers done' }, (manager) =>
            markReplicasAvailable(manager, copying.map((c) => ({ scope: t.scope, name: c.name, rseId: c.rse_id }))),
          );
          completed += copying.length;
        }
        await sleep(150);
      }
    })();
    await Promise.all([writer, finisher]);
    await until('every attached file locked twice', async () => (await lockCount(ruleId)) === 2 * attached);
    const [{ queued }] = await t.db.dataSource.query(`SELECT count(*)::int AS queued FROM updated_dids`);
    expect(queued).toBe(0);
    expect(attached).toBe(120);
    expect(completed).toBeGreaterThan(0);
    expect(await locksPerRse(t.db.dataSource, ruleId)).toEqual({ [rseA]: attached, [rseB]: attached });
    const row = await ruleRow(t.db.dataSource, ruleId);
    expect(row).toMatchObject({ ok: completed, replicating: 2 * attached - completed, stuck: 0 });
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });
});
