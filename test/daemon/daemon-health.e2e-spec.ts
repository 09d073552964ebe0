/**
 * Liveness of daemon instances from the heartbeats table: the service the API lists them with, and the health and
 * metrics server of a daemon process. An instance silent for 3 of its heartbeat intervals is dead everywhere, is
 * shown dead, and is cleared once its daemon has a live instance again (tested with rows aged by SQL, not by waiting).
 */
import { jest } from '@jest/globals';
import { createServer } from 'node:net';
import {
  DaemonHttpServer,
  DaemonMetrics,
  DaemonRunner,
  HeartbeatService,
  loadHeartbeatSettings,
  metricsEndpoint,
  runDaemonProcess,
  type HealthReport,
} from '@tarn/daemon';
import { silentLogger } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';

jest.setTimeout(30_000);

const age = (db: TestDatabase, executable: string, hostname: string, seconds: number) =>
  db.dataSource.query(`UPDATE heartbeats SET updated_at = now() - make_interval(secs => $3) WHERE executable = $1 AND hostname = $2`, [
    executable,
    hostname,
    seconds,
  ]);

describe('daemon liveness, /health and /metrics', () => {
  let db: TestDatabase;
  let heartbeats: HeartbeatService;
  let metrics: DaemonMetrics;
  let runner: DaemonRunner;
  let server: DaemonHttpServer;
  let base: string;
  let ready = false;

  beforeAll(async () => {
    db = await createTestDatabase();
    heartbeats = new HeartbeatService(db.dataSource);
    metrics = new DaemonMetrics();
    metrics.watchHeartbeats(() => heartbeats.list());
    runner = new DaemonRunner(
      { name: 'reaper', intervalMs: 60_000, runOnce: async () => ({ didWork: false }), ready: async () => ready },
      { dataSource: db.dataSource, metrics, heartbeats, logger: silentLogger },
    );
    server = new DaemonHttpServer({ metrics, heartbeats, daemons: () => [runner] });
    const port = await server.listen(0);
    runner.metricsPort = port;
    base = `http://127.0.0.1:${port}`;
    void runner.start();
    await db.dataSource.query(
      `INSERT INTO heartbeats (executable, hostname, pid, thread, updated_at, payload) VALUES
         ('transfer-submitter', 'node-7', 4242, 'main', now() - interval '3 minutes', NULL),
         ('conveyor', 'node-8', 99, 'main', now() - interval '10 seconds', '{"deadAfterSeconds": 30}'),
         ('conveyor', 'node-9', 98, 'main', now() - interval '40 seconds', '{"deadAfterSeconds": 30}'),
         ('poller', 'node-1', 7, 'main', now() - interval '50 seconds', '{"deadAfterSeconds": 60}')`,
    );
    while ((await heartbeats.list('reaper')).length === 0) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    await runner?.stop();
    await server?.close();
    await db?.drop();
  });

  it('lists every instance with a verdict by its own window (3 heartbeat intervals, 30 s by default)', async () => {
    const all = await heartbeats.list();
    expect(all.map((i) => [i.executable, i.hostname, i.alive, i.deadAfterSeconds])).toEqual([
      ['conveyor', 'node-8', true, 30],
      ['conveyor', 'node-9', false, 30],
      ['poller', 'node-1', true, 60],
      ['reaper', expect.any(String), true, 30],
      ['transfer-submitter', 'node-7', false, 30],
    ]);
    expect((await heartbeats.listLive()).map((i) => i.executable)).toEqual(['conveyor', 'poller', 'reaper']);
    // The runner says who it is: its window, its metrics port, and that it has not reached its event bus yet.
    const [own] = await heartbeats.list('reaper');
    expect(own.pid).toBe(process.pid);
    expect(own.payload).toMatchObject({ deadAfterSeconds: 30, metricsPort: Number(new URL(base).port), ready: false, passes: expect.any(Number) });
  });

  it('is ready only once the daemon reached its event bus, and stays so', async () => {
    const waiting = await fetch(`${base}/health/ready`);
    expect(waiting.status).toBe(503);
    expect(await waiting.json()).toEqual({ ready: false, waiting: ['reaper has not reached its event bus yet'] });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);

    ready = true;
    const answer = await fetch(`${base}/health/ready`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ready: true, waiting: [] });
    ready = false;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    // The heartbeat tells it too.
    const deadline = Date.now() + 5000;
    while (!(await heartbeats.list('reaper'))[0].payload?.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await heartbeats.list('reaper'))[0].payload).toMatchObject({ ready: true });
  });

  it('shows the dead instances in /health, while this process is healthy', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.daemons).toEqual([expect.objectContaining({ name: 'reaper', running: true, ready: true, alive: true, consecutiveFailures: 0 })]);
    expect(body.heartbeats.find((h) => h.executable === 'transfer-submitter')).toMatchObject({ alive: false, pid: 4242 });
  });

  it('exports liveness per instance, and per daemon: down as soon as one instance is dead, even while another lives', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^tarn_daemon_up\{daemon="transfer-submitter"\} 0$/m);
    expect(text).toMatch(/^tarn_daemon_up\{daemon="reaper"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_up\{daemon="conveyor"\} 0$/m);
    expect(text).toMatch(/^tarn_daemon_instances\{daemon="conveyor",state="alive"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_instances\{daemon="conveyor",state="dead"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_instance_up\{daemon="conveyor",hostname="node-8",pid="99",thread="main"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_instance_up\{daemon="conveyor",hostname="node-9",pid="98",thread="main"\} 0$/m);
    const instanceAge = Number(/^tarn_daemon_instance_heartbeat_age_seconds\{daemon="conveyor",hostname="node-9",pid="98",thread="main"\} (\S+)$/m.exec(text)![1]);
    expect(instanceAge).toBeGreaterThanOrEqual(40);
    const daemonAge = Number(/^tarn_daemon_last_heartbeat_age_seconds\{daemon="transfer-submitter"\} (\S+)$/m.exec(text)![1]);
    expect(daemonAge).toBeGreaterThanOrEqual(180);
    expect(text).toMatch(/^tarn_daemon_passes_total\{daemon="reaper"\} \d+$/m);
  });

  it('clears a dead instance after the forget window once its daemon lives again; one with no live instance stays', async () => {
    const forget = heartbeats.settings.forgetAfterSeconds;
    // conveyor node-9 dead beyond the window beside a live node-8; transfer-submitter dead as long, alone.
    await age(db, 'conveyor', 'node-9', forget + 5);
    await age(db, 'transfer-submitter', 'node-7', forget + 5);
    await db.dataSource.query(`INSERT INTO heartbeats (executable, hostname, pid, thread, updated_at) VALUES ('undertaker', 'old', 1, 'main', now() - interval '8 days')`);
    const cleared = await heartbeats.beat({ executable: 'conveyor', hostname: 'node-8', pid: 99, thread: 'main' }, { deadAfterSeconds: 30 });
    expect(cleared).toBe(2);
    expect((await heartbeats.list()).map((i) => `${i.executable}@${i.hostname}`)).toEqual([
      'conveyor@node-8',
      'poller@node-1',
      'reaper@' + (await heartbeats.list('reaper'))[0].hostname,
      'transfer-submitter@node-7',
    ]);
    // Within the window a dead instance stays listed (dead), whatever else lives.
    await db.dataSource.query(`INSERT INTO heartbeats (executable, hostname, pid, thread, updated_at) VALUES ('conveyor', 'node-10', 5, 'main', now() - interval '2 minutes')`);
    expect(await heartbeats.beat({ executable: 'conveyor', hostname: 'node-8', pid: 99, thread: 'main' }, { deadAfterSeconds: 30 })).toBe(0);
    expect((await heartbeats.list('conveyor')).map((i) => [i.hostname, i.alive])).toEqual([
      ['node-10', false],
      ['node-8', true],
    ]);
  });

  it('answers 503 when a daemon of this process has stopped', async () => {
    await runner.stop();
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as HealthReport).status).toBe('failing');
    expect((await fetch(`${base}/health/live`)).status).toBe(503);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });
});

describe('the health and metrics port, and the heartbeat knobs', () => {
  it('reads TARN_METRICS_PORT: default 9464, 0 a free port, off none', () => {
    expect(metricsEndpoint({})).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(metricsEndpoint({ TARN_METRICS_PORT: '0' }).port).toBe(0);
    expect(metricsEndpoint({ TARN_METRICS_PORT: 'off' }).port).toBeNull();
    expect(() => metricsEndpoint({ TARN_METRICS_PORT: 'http' })).toThrow(/TARN_METRICS_PORT=http is not a TCP port/);
  });

  it('reads the heartbeat interval and the forget window, and refuses a window shorter than death', () => {
    expect(loadHeartbeatSettings({})).toEqual({ intervalMs: 10_000, deadAfterSeconds: 30, forgetAfterSeconds: 600 });
    expect(loadHeartbeatSettings({ TARN_HEARTBEAT_INTERVAL_SECONDS: '2', TARN_HEARTBEAT_FORGET_SECONDS: '20' })).toEqual({
      intervalMs: 2000,
      deadAfterSeconds: 6,
      forgetAfterSeconds: 20,
    });
    expect(() => loadHeartbeatSettings({ TARN_HEARTBEAT_INTERVAL_SECONDS: '10', TARN_HEARTBEAT_FORGET_SECONDS: '20' })).toThrow(
      /TARN_HEARTBEAT_FORGET_SECONDS=20 must exceed 3 heartbeat intervals \(30 s\)/,
    );
    expect(() => loadHeartbeatSettings({ TARN_HEARTBEAT_INTERVAL_SECONDS: '-1' })).toThrow(/TARN_HEARTBEAT_INTERVAL_SECONDS=-1 must be a number above 0/);
  });

  it('refuses a taken port with a message that says what to do', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const db = await createTestDatabase();
    try {
      const heartbeats = new HeartbeatService(db.dataSource);
      const runner = new DaemonRunner({ name: 'undertaker', intervalMs: 60_000, runOnce: async () => ({ didWork: false }) }, { dataSource: db.dataSource, heartbeats, logger: silentLogger });
      await expect(runDaemonProcess({ runners: [runner], heartbeats, metricsPort: port, once: false, logger: silentLogger })).rejects.toThrow(
        `the health and metrics port 127.0.0.1:${port} is taken (another Tarn process on this host?): give each process its own TARN_METRICS_PORT, or 0 to pick a free one`,
      );
    } finally {
      taken.close();
      await db.drop();
    }
  });
});
