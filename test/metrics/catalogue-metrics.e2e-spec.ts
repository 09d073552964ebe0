/**
 * The catalogue's gauges on /metrics: rules and locks by state, transfer requests, backlogs (changed DIDs,
 * verifications, tombstones due per RSE, outbox and consumer lag) move when the catalogue does, one reading serves every
 * gauge of a scrape period, labels never name a DID, and a catalogue that cannot be read says so (tarn_catalogue_up 0).
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { Registry } from 'prom-client';
import { AuthenticationService, CatalogueMetrics, readCatalogueSnapshot, type CatalogueSnapshot } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount, uniqueAccountName } from '@tarn/testing/factories/account.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import { createScope, uniqueScopeName } from '@tarn/testing/factories/scope.factory.js';
import { sample } from '@tarn/testing/prometheus.js';
import { waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(90_000);

const PASSWORD = 'metrics-secret';

describe('catalogue gauges', () => {
  let db: TestDatabase;
  let api: TestApi;
  let token: string;
  let scope: string;
  let rse: CreatedRse;
  let ruleId: string;
  let evaluator: DaemonProcess | undefined;
  const scrape = (kafka = false) => {
    const registry = new Registry();
    new CatalogueMetrics(registry, readCatalogueSnapshot(db.dataSource.manager, kafka), 0);
    return registry.metrics();
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    const admin = uniqueAccountName('ops');
    await createAccount(db.dataSource, { account: admin, admin: true, password: PASSWORD });
    token = (await api.app.get(AuthenticationService).authenticateUserpass(admin, admin, PASSWORD)).token;
    scope = (await createScope(db.dataSource, { scope: uniqueScopeName('exp'), account: admin })).scope;
    const source = await createRse(db.dataSource, { attributes: { QOS: 'SAFE' } });
    rse = await createRse(db.dataSource, { attributes: { QOS: 'FAST' }, limits: { MinFreeSpace: 5_000 } });
    const send = (path: string, body: unknown) =>
      request(api.url).post(path).set('X-Rucio-Auth-Token', token).set('Content-Type', 'application/json').send(JSON.stringify(body));
    await send(`/dids/${scope}/run4711`, { type: 'DATASET' }).expect(201);
    await send(`/dids/${scope}/run4711/dids`, {
      rse: source.rse,
      dids: [1, 2].map((i) => ({ scope, name: `raw_${i}.fits`, bytes: 1000 * i, adler32: '0000000' + i })),
    }).expect(201);
    [ruleId] = (await send('/rules', { dids: [{ scope, name: 'run4711' }], copies: 1, rse_expression: rse.rse }).expect(201)).body;
  });

  afterAll(async () => {
    if (evaluator && evaluator.child.exitCode === null && evaluator.child.signalCode === null) evaluator.child.kill('SIGKILL');
    await api?.close();
    await db?.drop();
  });

  it('counts rules, locks and transfer requests by state, every state present', async () => {
    const text = await scrape();
    expect(sample(text, 'tarn_catalogue_up')).toBe(1);
    expect(sample(text, 'tarn_rules', { state: 'REPLICATING' })).toBe(1);
    expect(sample(text, 'tarn_rules', { state: 'STUCK' })).toBe(0);
    expect(sample(text, 'tarn_locks', { state: 'REPLICATING' })).toBe(2);
    expect(sample(text, 'tarn_transfer_requests', { state: 'QUEUED' })).toBe(2);
    expect(sample(text, 'tarn_transfer_requests', { state: 'SUBMITTED' })).toBe(0);
    expect(sample(text, 'tarn_rse_min_free_bytes', { rse: rse.rse })).toBe(5000);

    await db.dataSource.query(`UPDATE rules SET state = 'S' WHERE id = $1`, [ruleId]);
    await db.dataSource.query(`UPDATE locks SET state = 'S' WHERE rule_id = $1 AND name = 'raw_1.fits'`, [ruleId]);
    await db.dataSource.query(`UPDATE requests SET state = 'S', created_at = now() - interval '2 hours' WHERE name = 'raw_2.fits'`);
    const after = await scrape();
    expect(sample(after, 'tarn_rules', { state: 'STUCK' })).toBe(1);
    expect(sample(after, 'tarn_rules', { state: 'REPLICATING' })).toBe(0);
    expect([sample(after, 'tarn_locks', { state: 'STUCK' }), sample(after, 'tarn_locks', { state: 'REPLICATING' })]).toEqual([1, 1]);
    expect([sample(after, 'tarn_transfer_requests', { state: 'QUEUED' }), sample(after, 'tarn_transfer_requests', { state: 'SUBMITTED' })]).toEqual([1, 1]);
    expect(after).not.toContain('raw_');
  });

  it('shows the backlogs: changed DIDs, tombstones due per RSE, the outbox with Kafka and consumer lag without', async () => {
    const changedBefore = sample(await scrape(), 'tarn_updated_dids')!;
    await db.dataSource.query(`INSERT INTO updated_dids (scope, name, rule_evaluation_action, created_at) VALUES ($1, 'run4711', 'A', now() - interval '20 minutes')`, [scope]);
    await db.dataSource.query(`UPDATE replicas SET tombstone = now() - interval '1 minute' WHERE scope = $1 AND name = 'raw_2.fits'`, [scope]);
    await db.dataSource.query(
      `INSERT INTO outbox_messages (topic, key, event_type, payload, created_at) VALUES ('tarn.rule', 'k', 'rule.stuck', '{}', now() - interval '5 minutes')`,
    );
    const pg = await scrape(false);
    expect(sample(pg, 'tarn_updated_dids')).toBe(changedBefore + 1);
    expect(sample(pg, 'tarn_updated_dids_oldest_seconds')).toBeGreaterThanOrEqual(1190);
    const due = (await db.dataSource.query(`SELECT r.rse FROM replicas p JOIN rses r ON r.id = p.rse_id WHERE p.scope = $1 AND p.name = 'raw_2.fits'`, [scope]))[0].rse;
    expect(sample(pg, 'tarn_tombstones_due', { rse: due })).toBe(1);
    expect(sample(pg, 'tarn_tombstones_due_bytes', { rse: due })).toBe(2000);
    await db.dataSource.query(
      `INSERT INTO event_consumer_offsets (group_name, topic, last_id)
       SELECT 'tarn-messenger-test', 'tarn.rule', coalesce(max(id), 1) - 1 FROM outbox_messages WHERE topic = 'tarn.rule'`,
    );
    const consumers = await scrape(false);
    expect(sample(consumers, 'tarn_event_consumer_lag_events', { group: 'tarn-messenger-test', topic: 'tarn.rule' })).toBe(1);
    expect(sample(consumers, 'tarn_event_consumer_lag_seconds', { group: 'tarn-messenger-test', topic: 'tarn.rule' })).toBeGreaterThanOrEqual(290);
    const kafka = await scrape(true);
    expect(sample(pg, 'tarn_outbox_lag_seconds')).toBe(0); // no messenger between the catalogue and the PostgreSQL event bus
    expect(sample(kafka, 'tarn_outbox_lag_seconds')).toBeGreaterThanOrEqual(290);
    expect(kafka).not.toContain('run4711');
  });

  it('reads the catalogue once per cache period whatever the number of gauges and scrapes, and says when it cannot', async () => {
    let reads = 0;
    let fail = false;
    const read = readCatalogueSnapshot(db.dataSource.manager, false);
    const registry = new Registry();
    const ttl = 300;
    new CatalogueMetrics(registry, async (): Promise<CatalogueSnapshot> => {
      reads++;
      if (fail) throw new Error('connection refused');
      return read();
    }, ttl);
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    expect(reads).toBe(1);
    fail = true;
    await new Promise((r) => setTimeout(r, ttl + 50));
    const down = await registry.metrics();
    expect(reads).toBe(2);
    expect(sample(down, 'tarn_catalogue_up')).toBe(0);
    expect(sample(down, 'tarn_rules', { state: 'STUCK' })).toBeUndefined();
  });

  it('are served on the /metrics of the rule-evaluator process', async () => {
    evaluator = startDaemonProcess('rule-evaluator', db.url, { TARN_HEARTBEAT_INTERVAL_SECONDS: '1' });
    const port = await waitFor(
      'the rule-evaluator beating with its metrics port',
      async () => {
        const [row] = await db.dataSource.query(`SELECT payload->>'metricsPort' AS port FROM heartbeats WHERE executable = 'rule-evaluator'`);
        return row?.port ? Number(row.port) : false;
      },
      60_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${evaluator!.output()}`);
    });
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(sample(text, 'tarn_catalogue_up')).toBe(1);
    expect(sample(text, 'tarn_rules', { state: 'STUCK' })).toBe(1);
    expect(sample(text, 'tarn_daemon_up', { daemon: 'rule-evaluator' })).toBe(1);
  });
});
