/**
 * Tarn's distributed shape, run as a whole: real PostgreSQL and Kafka; the API twice, and every daemon of the one list
 * as its own OS process, with two instances each of rule-evaluator, transfer-submitter, transfer-worker,
 * replica-registrar and reaper. An operator drives the nightly-upload and subscription scenarios with the `tarn` CLI
 * (against both APIs) while a bounded chaos loop SIGKILLs a random daemon process every few seconds and starts it
 * again. Then: every rule OK; every copy byte-identical and made once (one transfer per copy, one report per
 * transfer); no request processed twice; the outbox drained; every killed instance was reported dead by GET
 * /heartbeats, then cleared; every process alive and ready again.
 * Heartbeats every second here (dead after 3 s, cleared 8 s after the last beat); transfer and verification leases
 * of a few seconds, so that the work of a killed process is taken up within the test.
 */
import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '@tarn/checksums/testing/chunks.js';
import { ALL_TOPICS } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestTopics, deleteTestTopics, kafkaBrokers, testTopicPrefix } from '@tarn/testing/kafka.js';
import { createTestBucket, createTestDirectory, testS3Server, type TestStorageArea } from '@tarn/testing/storage.js';
import { startTopology, type Topology, type TopologyProcess } from '@tarn/testing/topology.js';
import { DAEMONS } from '../../apps/tarn/src/daemon-list.js';
import { CliUser } from '../cli/cli-harness.js';
import { readPfn, type Row, SCENARIO_DAEMONS, waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(240_000);

const DOUBLED = ['rule-evaluator', 'transfer-submitter', 'transfer-worker', 'replica-registrar', 'reaper'];
const PASSWORD = 'topology-operator';
const FILES_PER_NIGHT = 4;
const RAW = ['raw_01.bin', 'raw_02.bin', 'raw_03.bin', 'raw_04.bin', 'raw_05.bin'];
const KILLS = 8;
const FORGET_SECONDS = 8;

interface Heartbeat {
  executable: string;
  hostname: string;
  pid: number;
  state: 'alive' | 'dead';
  ready: boolean | null;
  metrics_port: number | null;
}

/** What GET /heartbeats said of each pid over the run, polled through the CLI. */
class HeartbeatWatch {
  readonly seen = new Map<number, { executable: string; states: Set<string>; ready: boolean; gone: boolean }>();
  last: Heartbeat[] = [];
  polls = 0;
  private running = true;
  private loop: Promise<void>;

  constructor(private readonly users: CliUser[]) {
    this.loop = (async () => {
      while (this.running) {
        await this.poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 400));
      }
    })();
  }

  async poll(): Promise<Heartbeat[]> {
    const rows = await this.users[this.polls++ % this.users.length].json<Heartbeat[]>(['daemon', 'list']);
    const present = new Set(rows.map((r) => r.pid));
    for (const row of rows) {
      const entry = this.seen.get(row.pid) ?? { executable: row.executable, states: new Set<string>(), ready: false, gone: false };
      entry.states.add(row.state);
      entry.ready ||= row.ready === true && row.state === 'alive';
      entry.gone = false;
      this.seen.set(row.pid, entry);
    }
    for (const [pid, entry] of this.seen) if (!present.has(pid)) entry.gone = true;
    this.last = rows;
    return rows;
  }

  readyPids(): Set<number> {
    return new Set(this.last.filter((r) => r.state === 'alive' && r.ready === true).map((r) => r.pid));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe('the distributed topology: every daemon its own process, under chaos', () => {
  let db: TestDatabase;
  let topology: Topology | undefined;
  let watch: HeartbeatWatch | undefined;
  const users: CliUser[] = [];
  const areas: TestStorageArea[] = [];
  const prefix = testTopicPrefix();
  const seed = Number(process.env.TARN_CHAOS_SEED ?? Date.now() % 1_000_000);
  const content = new Map<string, Buffer>();

  beforeAll(async () => {
    db = await createTestDatabase();
    await createTestTopics(ALL_TOPICS.map((t) => prefix + t), 3);
    await createAccount(db.dataSource, { account: 'operator', admin: true, password: PASSWORD });
    // A transfer in the hands of a killed worker is taken over 4 s after its last lease renewal.
    await db.dataSource.query(`INSERT INTO configs (section, opt, value, updated_at) VALUES ('transfers', 'lease_seconds', '4', now())`);
    const s3 = testS3Server();
    const s3Env = { TARN_S3_ACCESS_KEY_ID: s3.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, TARN_S3_REGION: s3.region };
    topology = await startTopology({
      databaseUrl: db.url,
      kafkaBrokers: kafkaBrokers().join(','),
      topicPrefix: prefix,
      apis: 2,
      instances: Object.fromEntries(DOUBLED.map((name) => [name, 2])),
      env: {
        ...SCENARIO_DAEMONS,
        ...s3Env,
        TARN_RULE_INJECTOR_INTERVAL_SECONDS: '2',
        TARN_RULE_REPAIRER_INTERVAL_SECONDS: '2',
        TARN_UNDERTAKER_INTERVAL_SECONDS: '2',
        TARN_REAPER_GRACE_SECONDS: '5',
        TARN_REPLICA_REGISTRAR_LEASE_SECONDS: '5',
        TARN_HEARTBEAT_INTERVAL_SECONDS: '1',
        TARN_HEARTBEAT_FORGET_SECONDS: String(FORGET_SECONDS),
        TARN_KAFKA_SESSION_TIMEOUT_SECONDS: '6',
        TARN_ROOT_PASSWORD: 'topology-root',
      },
    });
    for (const url of topology.apiUrls) users.push(new CliUser({ TARN_URL: url, TARN_ACCOUNT: 'operator', TARN_PASSWORD: PASSWORD, ...s3Env }));
    await waitFor('both APIs to answer', async () => (await Promise.all(topology!.apiUrls.map((u) => fetch(`${u}/health`).then((r) => r.ok, () => false)))).every(Boolean), 90_000, 250).catch(
      (error) => {
        throw new Error(`${error.message}\n${topology!.describe()}`);
      },
    );
    watch = new HeartbeatWatch(users);
    const expected = topology.daemons.length;
    await waitFor(`all ${expected} daemon processes alive and ready`, async () => {
      const ready = watch!.readyPids();
      return topology!.daemons.every((d) => ready.has(d.current.child.pid!));
    }, 120_000, 250).catch((error) => {
      throw new Error(`${error.message}\n${JSON.stringify(watch!.last)}\n${topology!.describe()}`);
    });
  });

  afterAll(async () => {
    await watch?.stop();
    await topology?.close();
    for (const user of users) user.drop();
    for (const area of areas) await area.drop().catch(() => undefined);
    await deleteTestTopics(prefix).catch(() => undefined);
    await db?.drop();
  });

  it('carries out the nightly upload and the subscriptions while daemons are killed, and reports the dead', async () => {
    const kills: Array<{ role: string; pid: number }> = [];
    try {
      await underChaos(kills);
    } catch (error) {
      (error as Error).message += `\n(chaos seed ${seed}, TARN_CHAOS_SEED replays it; killed: ${kills.map((k) => `${k.role} ${k.pid}`).join(', ')})`;
      throw error;
    }
  });

  async function underChaos(kills: Array<{ role: string; pid: number }>): Promise<void> {
    const [first, second] = users;

    // The chaos loop, from the first command on: a random daemon process (of those alive and ready) SIGKILLed every
    // 2-3.5 s and started again at once, KILLS times.
    // Seeded, so that a failing chaos run can be told and replayed (TARN_CHAOS_SEED).
    const next = mulberry32(seed);
    const rand = () => next() / 2 ** 32;
    const chaosUntil = Date.now() + 120_000;
    const chaos = (async () => {
      while (kills.length < KILLS && Date.now() < chaosUntil) {
        await new Promise((r) => setTimeout(r, 2000 + rand() * 1500));
        const ready = watch!.readyPids();
        const candidates = topology!.daemons.filter((d) => ready.has(d.current.child.pid!));
        if (candidates.length === 0) continue;
        const victim: TopologyProcess = candidates[Math.floor(rand() * candidates.length)];
        const { pid } = await topology!.kill(victim);
        kills.push({ role: victim.role, pid });
        topology!.restart(victim);
      }
    })();
    let chaosOver = false;
    void chaos.finally(() => (chaosOver = true));

    // RSEs: two SAFE sites (posix, S3), a FAST disk, a greedy landing area.
    const siteA = await createTestDirectory();
    const fast = await createTestDirectory();
    const landing = await createTestDirectory();
    const bucket = await createTestBucket();
    areas.push(siteA, fast, landing, bucket);
    for (const [rse, root] of [['SITE_A', siteA.root], ['FAST', fast.root], ['LANDING', landing.root]] as const) {
      await first.ok(['rse', 'add', rse]);
      await first.ok(['rse', 'add-protocol', rse, '--scheme', 'file', '--prefix', root]);
    }
    const p = bucket.protocol;
    await second.ok(['rse', 'add', 'SITE_B']);
    await second.ok(['rse', 'add-protocol', 'SITE_B', '--scheme', p.scheme, '--hostname', p.hostname, '--port', String(p.port), '--prefix', p.prefix]);
    for (const [rse, key, value] of [['SITE_A', 'QOS', 'SAFE'], ['SITE_B', 'QOS', 'SAFE'], ['FAST', 'QOS', 'FAST'], ['LANDING', 'greedyDeletion', 'true']]) {
      await second.ok(['rse', 'set-attr', rse, key, value]);
    }
    await first.ok(['scope', 'add', 'tel.north']);
    await first.ok(['scope', 'add', 'obs']);
    await second.ok(['subscription', 'add', 'raw-to-fast', '--scope', 'obs', '--did-type', 'FILE', '--meta', 'datatype=RAW', '--rule', '1@QOS=FAST']);

    // The nightly upload: each night's files into their dataset on SITE_A (cron job), then 2 SAFE copies and 1 FAST copy.
    const nightly = async (night: string, user: CliUser) => {
      const dir = join(user.home, `night-${night}`);
      mkdirSync(dir);
      for (let i = 0; i < FILES_PER_NIGHT; i++) {
        const name = `n${night.slice(-2)}_frame${i}.fits`;
        const bytes = randomBytes(i === 0 ? 0 : Math.floor(rand() * 1_500_000) + 1);
        writeFileSync(join(dir, name), bytes);
        content.set(name, bytes);
      }
      const dataset = `tel.north:night-${night}`;
      await user.ok(['upload', dir, '--scope', 'tel.north', '--rse', 'SITE_A', '--dataset', `night-${night}`, '--lifetime', '30d', '--meta', `night=${night.replaceAll('-', '')}`]);
      const [safe] = await user.json<string[]>(['rule', 'add', dataset, '--copies', '2', '--rses', 'QOS=SAFE', '--lifetime', '30d']);
      const [quick] = await user.json<string[]>(['rule', 'add', dataset, '--copies', '1', '--rses', 'QOS=FAST', '--lifetime', '30d']);
      for (const id of [safe, quick]) {
        const shown = await user.json<Row>(['rule', 'show', id, '--wait', '150s', '--interval', '0.5']);
        expect([id, shown.state, shown.locks_stuck_cnt]).toEqual([id, 'OK', 0]);
      }
      const out = join(user.home, `download-${night}`);
      const got = await user.json<Row[]>(['download', dataset, '--dir', out]);
      expect(got).toHaveLength(FILES_PER_NIGHT);
      for (const r of got) expect(readFileSync(join(out, 'tel.north', r.name)).equals(content.get(r.name)!)).toBe(true);
    };

    // The subscription: RAW files landing with a short lifetime get a FAST copy; the landing copies are then reaped.
    const subscription = async (user: CliUser) => {
      const dir = join(user.home, 'incoming');
      mkdirSync(join(dir, 'raw'), { recursive: true });
      mkdirSync(join(dir, 'calib'), { recursive: true });
      for (const name of RAW) {
        const bytes = randomBytes(Math.floor(rand() * 300_000) + 1);
        writeFileSync(join(dir, 'raw', name), bytes);
        content.set(name, bytes);
      }
      writeFileSync(join(dir, 'calib', 'calib_01.bin'), randomBytes(500));
      await user.ok(['upload', join(dir, 'raw'), '--scope', 'obs', '--rse', 'LANDING', '--lifetime', '5s', '--meta', 'datatype=RAW']);
      await user.ok(['upload', join(dir, 'calib'), '--scope', 'obs', '--rse', 'LANDING', '--lifetime', '5s', '--meta', 'datatype=CALIB']);
      await waitFor(
        'the RAW files on FAST only, and the calibration file gone',
        async () => {
          const rows = await user.json<Row[]>(['replica', 'list', ...RAW.map((n) => `obs:${n}`), 'obs:calib_01.bin', '--all-states']);
          const placed = rows.filter((r) => r.rse).map((r) => `${r.name}@${r.rse}:${r.state}`).sort();
          return placed.join() === RAW.map((n) => `${n}@FAST:AVAILABLE`).join() || false;
        },
        150_000,
        500,
      );
    };

    // Nights follow one another (through one API, then the other) as long as the chaos lasts; the subscription beside them.
    const nights = (async () => {
      for (let n = 0; n < 2 || !chaosOver; n++) await nightly(`2026-11-${String(10 + n).padStart(2, '0')}`, users[n % 2]);
    })();
    const scenarios = Promise.all([nights, subscription(first)]);
    await Promise.all([scenarios, chaos]).catch(async (error) => {
      await Promise.allSettled([scenarios, chaos]);
      throw error;
    });
    expect(kills).toHaveLength(KILLS);

    // Every process of the topology alive and ready again (the killed ones restarted), each with its own metrics port,
    // and an instance killed in the last seconds of the chaos no longer counted alive (dead after three missed beats).
    const expected = Object.fromEntries(DAEMONS.map((d) => [d.name, DOUBLED.includes(d.name) ? 2 : 1]));
    const aliveCounts = () => {
      const alive = watch!.last.filter((r) => r.state === 'alive');
      return Object.fromEntries(DAEMONS.map((d) => [d.name, alive.filter((r) => r.executable === d.name).length]));
    };
    await waitFor('every process alive and ready again', async () => {
      await watch!.poll();
      const ready = watch!.readyPids();
      return topology!.daemons.every((d) => ready.has(d.current.child.pid!)) && JSON.stringify(aliveCounts()) === JSON.stringify(expected);
    }, 90_000, 250).catch((error) => {
      throw new Error(`${error.message}\n${JSON.stringify(watch!.last)}\n${topology!.describe()}`);
    });
    const alive = watch!.last.filter((r) => r.state === 'alive');
    expect(aliveCounts()).toEqual(expected);
    expect(new Set(alive.map((r) => r.metrics_port)).size).toBe(alive.length);

    // The outbox drained: everything committed was published.
    await waitFor('the outbox drained', async () => {
      const [{ pending }] = await db.dataSource.query(`SELECT count(*)::int AS pending FROM outbox_messages WHERE state <> 'S'`);
      return pending === 0;
    }, 30_000, 250);

    // Every killed instance was reported dead, then cleared.
    await waitFor('the killed instances cleared', async () => {
      await watch!.poll();
      return kills.every((k) => watch!.seen.get(k.pid)?.gone !== false);
    }, (FORGET_SECONDS + 20) * 1000, 250);
    const reports = kills.map((k) => ({ ...k, reported: [...(watch!.seen.get(k.pid)?.states ?? [])].sort(), gone: watch!.seen.get(k.pid)?.gone ?? null }));
    expect(reports).toEqual(kills.map((k) => ({ ...k, reported: ['alive', 'dead'], gone: true })));

    // Every rule OK.
    const rules: Array<{ id: string; state: string }> = await db.dataSource.query(`SELECT id, state FROM rules ORDER BY id`);
    expect(rules.filter((r) => r.state !== 'O')).toEqual([]);
    expect(rules.length).toBeGreaterThanOrEqual(4 + RAW.length);

    // Every copy byte-identical, on storage; nothing left half-done.
    const all = await first.json<Row[]>(['replica', 'list', ...[...content.keys()].map((n) => (n.startsWith('raw_') ? `obs:${n}` : `tel.north:${n}`)), '--all-states']);
    expect(all.filter((r) => r.state !== 'AVAILABLE')).toEqual([]);
    for (const r of all) expect([r.name, r.rse, (await readPfn(r.pfn)).equals(content.get(r.name)!)]).toEqual([r.name, r.rse, true]);
    const placement = all.map((r) => `${r.name}@${r.rse}`).sort();
    const expectedPlacement = [...content.keys()].flatMap((n) => (n.startsWith('raw_') ? [`${n}@FAST`] : [`${n}@FAST`, `${n}@SITE_A`, `${n}@SITE_B`])).sort();
    expect(placement).toEqual(expectedPlacement);

    // Made once: one transfer per copy, done once; no request processed twice; each replica made AVAILABLE once.
    const copies = expectedPlacement.filter((c) => !c.endsWith('@SITE_A'));
    const done: Array<{ did: string; n: number; requests: number }> = await db.dataSource.query(
      `SELECT h.name || '@' || e.rse AS did, count(*)::int AS n, count(DISTINCT h.id)::int AS requests
         FROM requests_history h JOIN rses e ON e.id = h.dest_rse_id WHERE h.state = 'D' GROUP BY 1 ORDER BY 1`,
    );
    expect(done).toEqual(copies.map((did) => ({ did, n: 1, requests: 1 })));
    const events: Array<{ type: string; key: string; n: number }> = await db.dataSource.query(
      `SELECT event_type AS type, coalesce(payload->>'requestId', (payload->>'name') || '@' || (payload->>'rse')) AS key, count(*)::int AS n
         FROM outbox_messages WHERE event_type IN ('transfer.done', 'transfer.failed', 'replica.available') GROUP BY 1, 2 HAVING count(*) > 1`,
    );
    expect(events).toEqual([]);
    const [{ transfers, failed }] = await db.dataSource.query(
      `SELECT count(*) FILTER (WHERE event_type = 'transfer.done')::int AS transfers, count(*) FILTER (WHERE event_type = 'transfer.failed')::int AS failed
         FROM outbox_messages`,
    );
    expect({ transfers, failed }).toEqual({ transfers: copies.length, failed: 0 });
    const [{ open }] = await db.dataSource.query(`SELECT count(*)::int AS open FROM requests`);
    expect(open).toBe(0);

  }
});
