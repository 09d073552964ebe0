/**
 * Liveness of daemons from the heartbeats table: the service the API lists them with, and the health and
 * metrics server of a daemon process. A daemon silent for 2 minutes is dead everywhere (tested with a
 * heartbeat row 3 minutes old, not by waiting).
 */
import { jest } from '@jest/globals';
import { DaemonHttpServer, DaemonMetrics, DaemonRunner, HeartbeatService, metricsEndpoint, type HealthReport } from '@tarn/daemon';
import { silentLogger } from '@tarn/events';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';

jest.setTimeout(30_000);

describe('daemon liveness, /health and /metrics', () => {
  let db: TestDatabase;
  let heartbeats: HeartbeatService;
  let metrics: DaemonMetrics;
  let runner: DaemonRunner;
  let server: DaemonHttpServer;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    heartbeats = new HeartbeatService(db.dataSource);
    metrics = new DaemonMetrics();
    metrics.watchHeartbeats(() => heartbeats.summary());
    runner = new DaemonRunner(
      { name: 'reaper', intervalMs: 60_000, runOnce: async () => ({ didWork: false }) },
      { dataSource: db.dataSource, metrics, heartbeats, logger: silentLogger },
    );
    void runner.start();
    await db.dataSource.query(
      `INSERT INTO heartbeats (executable, hostname, pid, thread, updated_at) VALUES
         ('transfer-submitter', 'node-7', 4242, 'main', now() - interval '3 minutes'),
         ('conveyor', 'node-8', 99, 'main', now() - interval '10 seconds'),
         ('conveyor', 'node-9', 98, 'main', now() - interval '5 minutes')`,
    );
    server = new DaemonHttpServer({ metrics, heartbeats, daemons: () => [runner] });
    const port = await server.listen(0);
    base = `http://127.0.0.1:${port}`;
    while ((await heartbeats.list('reaper')).length === 0) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    await runner?.stop();
    await server?.close();
    await db?.drop();
  });

  it('lists every daemon instance with a liveness verdict, and the live ones', async () => {
    const all = await heartbeats.list();
    expect(all.map((i) => [i.executable, i.hostname, i.alive])).toEqual([
      ['conveyor', 'node-8', true],
      ['conveyor', 'node-9', false],
      ['reaper', expect.any(String), true],
      ['transfer-submitter', 'node-7', false],
    ]);
    expect(all.find((i) => i.executable === 'transfer-submitter')!.ageSeconds).toBeGreaterThanOrEqual(180);
    expect((await heartbeats.listLive()).map((i) => i.executable)).toEqual(['conveyor', 'reaper']);
  });

  it('shows the silent daemon as dead in /health, while this process is healthy', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthReport;
    expect(body.status).toBe('ok');
    expect(body.daemons).toEqual([expect.objectContaining({ name: 'reaper', running: true, alive: true, consecutiveFailures: 0 })]);
    expect(body.heartbeats.find((h) => h.executable === 'transfer-submitter')).toMatchObject({ alive: false, pid: 4242 });
  });

  it('exports tarn_daemon_up 0 for the silent daemon and 1 for the live ones', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^tarn_daemon_up\{daemon="transfer-submitter"\} 0$/m);
    expect(text).toMatch(/^tarn_daemon_up\{daemon="reaper"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_up\{daemon="conveyor"\} 1$/m);
    expect(text).toMatch(/^tarn_daemon_instances\{daemon="conveyor",state="dead"\} 1$/m);
    const age = Number(/^tarn_daemon_last_heartbeat_age_seconds\{daemon="transfer-submitter"\} (\S+)$/m.exec(text)![1]);
    expect(age).toBeGreaterThanOrEqual(180);
    expect(text).toMatch(/^tarn_daemon_passes_total\{daemon="reaper"\} 1$/m);
  });

  it('answers 503 when a daemon of this process has stopped', async () => {
    await runner.stop();
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as HealthReport).status).toBe('failing');
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
  });

  it('reads its port from TARN_METRICS_PORT (default 9464, 0 = off)', () => {
    expect(metricsEndpoint({})).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(metricsEndpoint({ TARN_METRICS_PORT: '0' }).port).toBe(0);
    expect(() => metricsEndpoint({ TARN_METRICS_PORT: 'http' })).toThrow(/TARN_METRICS_PORT=http is not a TCP port/);
  });
});
