/**
 * The messenger process (apps/messenger/src/main.ts, run from source in a child process) is killed with
 * SIGKILL while it publishes a large backlog, then started again: every event reaches Kafka at least once,
 * and a consumer group using applyOnce applies each exactly once. SIGTERM then stops it cleanly.
 */
import { jest } from '@jest/globals';
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unitOfWork } from '@tarn/catalogue';
import { appendEvents, applyOnce, KafkaEventBus, silentLogger, tarnEvent } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestTopics, deleteTestTopics, kafkaBrokers, testTopicPrefix } from '@tarn/testing/kafka.js';
import { Collector, outboxIds } from './support/events-fixtures.js';

jest.setTimeout(240_000);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOTAL = 12_000;
const KEYS = 64;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('messenger process killed mid-batch', () => {
  const prefix = testTopicPrefix();
  let db: TestDatabase;
  const children: ChildProcess[] = [];

  function startMessenger(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', './test/events/support/ts-register.mjs', 'apps/messenger/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        TARN_EVENT_BUS: 'kafka',
        TARN_KAFKA_TOPIC_PREFIX: prefix,
        TARN_METRICS_PORT: '0',
        TARN_OUTBOX_BATCH: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  const sent = async () => (await outboxIds(db.dataSource, `state = 'S'`)).length;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.dataSource.query(`CREATE TABLE applied (event_id bigint NOT NULL, key text NOT NULL)`);
    await createTestTopics([`${prefix}tarn.did`], 3);
    for (let i = 0; i < TOTAL; i += 2000) {
      await unitOfWork(db.dataSource, { what: 'backlog' }, (manager) =>
        appendEvents(
          manager,
          Array.from({ length: 2000 }, (_, j) => {
            const key = `file-${(i + j) % KEYS}`;
            return tarnEvent('did.created', { scope: 'test', name: key, didType: 'F', account: 'root', bytes: i + j }, key);
          }),
        ),
      );
    }
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db?.drop();
    await deleteTestTopics(prefix);
  });

  it('delivers every event at least once and the consumers apply each once', async () => {
    const bus = new KafkaEventBus({ brokers: kafkaBrokers(), topicPrefix: prefix, logger: silentLogger, partitionsConsumedConcurrently: 3 });
    const { collector, subscription } = await Collector.subscribe(bus, {
      group: 'appliers',
      topics: ['tarn.did'],
      fromBeginning: true,
      handler: async (event) => {
        await applyOnce(db.dataSource, 'appliers', event, (manager) =>
          manager.query(`INSERT INTO applied (event_id, key) VALUES ($1, $2)`, [event.id, event.key]),
        );
      },
    });
    try {
      const first = startMessenger();
      const deadline = Date.now() + 60_000;
      let atKill = 0;
      while (Date.now() < deadline && first.child.exitCode === null) {
        if ((await sent()) >= 1500) break;
        await sleep(10);
      }
      // Kill it while a batch is claimed and being published (its transaction is open, waiting for Kafka).
      let midBatch = false;
      for (let i = 0; i < 500 && !midBatch; i++) {
        const [{ n }] = await db.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tarn-messenger' AND state = 'idle in transaction'`,
        );
        midBatch = n > 0;
      }
      expect(midBatch).toBe(true);
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull(); // killed, not exited
      atKill = await sent();
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(TOTAL);
      // Killed without a goodbye: its heartbeat stays (and will show it dead after 2 minutes).
      const [{ n: beats }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM heartbeats WHERE executable = 'messenger' AND pid = $1`, [
        first.child.pid,
      ]);
      expect(beats).toBe(1);

      const second = startMessenger();
      const deadline2 = Date.now() + 120_000;
      while ((await sent()) < TOTAL && Date.now() < deadline2) await sleep(100);
      expect(await sent()).toBe(TOTAL);
      await collector.waitForDistinct(TOTAL, 120_000);

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.output()).toMatch(/SIGTERM: stopping after the item in hand/);
      const [{ n: secondBeats }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM heartbeats WHERE pid = $1`, [second.child.pid]);
      expect(secondBeats).toBe(0);

      const [{ rows, distinct }] = await db.dataSource.query(`SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct FROM applied`);
      expect({ rows, distinct }).toEqual({ rows: TOTAL, distinct: TOTAL });
      collector.assertPerKeyOrder();
      console.log(
        `crash test: killed ${midBatch ? 'mid-batch' : 'between batches'} after ${atKill} of ${TOTAL} were marked sent; ${collector.received.length - TOTAL} event(s) delivered twice, each applied once`,
      );
    } finally {
      await subscription.stop();
      await bus.close();
    }
  });
});
