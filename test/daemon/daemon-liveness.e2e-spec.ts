/**
 * "Dead is dead", as an operator sees it with real processes: two reaper processes on one host, each with its own
 * health and metrics port (TARN_METRICS_PORT=0, the port told in its heartbeat). One is killed with SIGKILL: `tarn
 * daemon list` shows it DEAD within its heartbeat window while the other lives, the survivor's /metrics says the
 * reaper is down (tarn_daemon_up 0, the killed instance 0), and once the forget window passed the dead instance is
 * cleared and the reaper is up again. A clean stop (SIGTERM) removes its own row at once. Heartbeats every second
 * here (dead after 3 s, cleared after 6 s); the defaults are 10 s, 30 s and 10 minutes.
 */
import { jest } from '@jest/globals';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { CliUser } from '../cli/cli-harness.js';
import { waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(90_000);

interface Instance {
  executable: string;
  pid: number;
  state: 'alive' | 'dead';
  ready: boolean | null;
  metrics_port: number | null;
}

const HEARTBEATS = { TARN_HEARTBEAT_INTERVAL_SECONDS: '1', TARN_HEARTBEAT_FORGET_SECONDS: '6', TARN_REAPER_INTERVAL_SECONDS: '1' };

describe('dead daemon instances, with real processes', () => {
  let db: TestDatabase;
  let api: TestApi;
  let cli: CliUser;
  const processes: DaemonProcess[] = [];

  const reapers = async () => (await cli.json<Instance[]>(['daemon', 'list', '--daemon', 'reaper'])).sort((a, b) => a.pid - b.pid);
  const metricsOf = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    await createAccount(db.dataSource, { account: 'operator', password: 'liveness-secret' });
    cli = new CliUser({ TARN_URL: api.url, TARN_ACCOUNT: 'operator', TARN_PASSWORD: 'liveness-secret' });
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    cli?.drop();
    await api?.close();
    await db?.drop();
  });

  it('shows a killed instance dead within its window while another lives, then clears it', async () => {
    processes.push(startDaemonProcess('reaper', db.url, HEARTBEATS), startDaemonProcess('reaper', db.url, HEARTBEATS));
    const [victim, survivor] = processes;
    const started = await waitFor(
      'both reapers alive and ready, each with its own metrics port',
      async () => {
        const rows = await reapers();
        return rows.length === 2 && rows.every((r) => r.state === 'alive' && r.ready === true && r.metrics_port) ? rows : false;
      },
      60_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${processes.map((p) => p.output()).join('\n')}`);
    });
    expect(started.map((r) => r.pid).sort()).toEqual([victim.child.pid, survivor.child.pid].sort());
    const portOf = (pid: number) => started.find((r) => r.pid === pid)!.metrics_port!;
    expect(portOf(victim.child.pid!)).not.toBe(portOf(survivor.child.pid!));
    for (const r of started) expect((await fetch(`http://127.0.0.1:${r.metrics_port}/health/ready`)).status).toBe(200);
    await waitFor('the reaper up in the metrics', async () => /^tarn_daemon_up\{daemon="reaper"\} 1$/m.test(await metricsOf(portOf(survivor.child.pid!))));

    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    await waitFor('the killed reaper listed DEAD', async () => (await reapers()).find((r) => r.pid === victim.child.pid)?.state === 'dead', 20_000, 100);
    const seenDeadAfter = Date.now() - killedAt;
    expect(seenDeadAfter).toBeLessThan(10_000);
    expect((await reapers()).find((r) => r.pid === survivor.child.pid)?.state).toBe('alive');

    const table = await cli.run(['daemon', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^reaper +\\S+ +${victim.child.pid} +DEAD `, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^reaper +\\S+ +${survivor.child.pid} +alive `, 'm'));
    expect(table.stderr).toContain(`1 dead instance(s), silent for longer than their heartbeat window: reaper on`);

    const down = await metricsOf(portOf(survivor.child.pid!));
    expect(down).toMatch(/^tarn_daemon_up\{daemon="reaper"\} 0$/m);
    expect(down).toMatch(new RegExp(`^tarn_daemon_instance_up\\{daemon="reaper",hostname="[^"]+",pid="${victim.child.pid}",thread="main"\\} 0$`, 'm'));
    expect(down).toMatch(new RegExp(`^tarn_daemon_instance_up\\{daemon="reaper",hostname="[^"]+",pid="${survivor.child.pid}",thread="main"\\} 1$`, 'm'));

    // Cleared by the survivor's beats once the forget window passed; the reaper is up again.
    await waitFor('the dead reaper cleared', async () => (await reapers()).map((r) => r.pid).join() === String(survivor.child.pid), 20_000, 200);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(5_000);
    await waitFor('the reaper up again', async () => /^tarn_daemon_up\{daemon="reaper"\} 1$/m.test(await metricsOf(portOf(survivor.child.pid!))));

    // A clean stop removes its own row at once.
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    expect(await reapers()).toEqual([]);
  });
});
