/**
 * `tarn doctor` against a real Tarn: every daemon in one process on the Kafka bus, an S3 RSE, a WebDAV RSE and an XRootD
 * RSE (its root:// and HTTP doors). Healthy,
 * it finds nothing and exits 0 (and leaves no probe file behind). Then each fault gets its own line and exit 1: an RSE
 * protocol whose credentials the storage refuses, a daemon instance (its own process) killed with SIGKILL, a wrong
 * password, an account that is not an administrator; a host whose clock is off gets a warning.
 */
import { jest } from '@jest/globals';
import { hostname } from 'node:os';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { upsertHeartbeat } from '@tarn/catalogue/repositories/heartbeat.repository.js';
import { DEFAULT_DOCTOR_SETTINGS, DoctorService } from '@tarn/core';
import { rseChange } from '@tarn/core/rses/rse-unit-of-work.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { createTestKafka } from '@tarn/testing/kafka.js';
import { createTestBucket, createTestCollection, createTestXrootdArea, type TestStorageArea } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from '../cli/cli-harness.js';
import { waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(120_000);

const PASSWORD = 'doctor-secret';
const WRITE_READ_DELETE = { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } };

interface Report {
  ok: boolean;
  errors: number;
  warnings: number;
  checks: { check: string; looked: number }[];
  findings: { check: string; severity: string; subject: string | null; what: string; fix: string }[];
}

describe('tarn doctor', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let admin: CliUser;
  let bucket: Awaited<ReturnType<typeof createTestBucket>>;
  const areas: TestStorageArea[] = [];
  const processes: DaemonProcess[] = [];
  const healthy: string[] = [];

  const protocolOf = (area: TestStorageArea, impl: string, extendedAttributes = area.protocol.extendedAttributes) => ({
    scheme: area.protocol.scheme,
    hostname: area.protocol.hostname,
    port: area.protocol.port ?? 0,
    prefix: area.protocol.prefix,
    impl,
    domains: WRITE_READ_DELETE,
    extendedAttributes,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'kafka');
    await createAccount(db.dataSource, { account: 'doctor', admin: true, password: PASSWORD });
    await createAccount(db.dataSource, { account: 'plain', password: PASSWORD });
    admin = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'doctor', TARN_PASSWORD: PASSWORD });
    bucket = await createTestBucket();
    const dav = await createTestCollection();
    areas.push(bucket, dav);
    healthy.push((await createRse(db.dataSource, { rse: uniqueRseName('DOC_S3'), protocols: [protocolOf(bucket, 'rucio.rse.protocols.s3.Default')] })).rse);
    healthy.push((await createRse(db.dataSource, { rse: uniqueRseName('DOC_DAV'), protocols: [protocolOf(dav, 'rucio.rse.protocols.webdav.Default')] })).rse);
    const xrootd = await createTestXrootdArea();
    areas.push(xrootd);
    const xrootdProtocols = [protocolOf(xrootd, 'rucio.rse.protocols.xrootd.Default'), protocolOf({ ...xrootd, protocol: xrootd.httpProtocol }, 'rucio.rse.protocols.webdav.Default')];
    healthy.push((await createRse(db.dataSource, { rse: uniqueRseName('DOC_XRD'), protocols: xrootdProtocols })).rse);
    await waitFor('every daemon alive', async () => {
      const { stdout } = await admin.run(['--json', 'daemon', 'list']);
      return stdout !== '' && (JSON.parse(stdout) as { state: string }[]).filter((i) => i.state === 'alive').length >= 14;
    });
  });

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    admin?.drop();
    await tarn?.close();
    for (const area of areas) await area.drop().catch(() => undefined);
    await db?.drop();
  });

  it('finds nothing wrong with a healthy Tarn, and leaves no probe file behind', async () => {
    const run = await admin.run(['doctor']);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: expect.stringMatching(/^No finding: checked /), stderr: '' });
    expect(run.stdout).toContain('4 RSE protocol(s)');
    const report = await admin.json<Report>(['doctor']);
    expect(report).toMatchObject({ ok: true, errors: 0, warnings: 0, findings: [] });
    expect(report.checks.map((c) => c.check)).toEqual(['config', 'clocks', 'token', 'catalogue', 'event-bus', 'storage', 'space', 'daemons']);
    expect(report.checks.find((c) => c.check === 'daemons')!.looked).toBeGreaterThanOrEqual(14);
    const left = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
    expect(left.Contents ?? []).toEqual([]);
  });

  it('names an RSE protocol the storage refuses, and the step that failed', async () => {
    const dav = await createTestCollection();
    areas.push(dav);
    const rse = uniqueRseName('DOC_BROKEN');
    await createRse(db.dataSource, { rse, protocols: [protocolOf(dav, 'rucio.rse.protocols.webdav.Default', { username: 'tarn', password: 'not-the-password' })] });
    const run = await admin.run(['doctor']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^ERROR storage: ${rse} dav://127\\.0\\.0\\.1:\\d+: write failed: .+\\. Fix: .+\\.$`))]);
    expect(run.stderr).toMatch(/^tarn: 1 error\(s\), 0 warning\(s\): fix the errors above/);
    // Only that RSE, and without probes: nothing to find.
    expect((await admin.run(['doctor', '--rse', rse])).code).toBe(1);
    expect(await admin.run(['doctor', '--no-storage'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^No finding/) });
    expect(await admin.run(['doctor', '--rse', 'NO_SUCH_RSE'])).toMatchObject({ code: 4, stderr: expect.stringContaining('NO_SUCH_RSE') });
    // Once its operators mark the RSE unavailable, the failure is known: a warning, exit 0.
    await rseChange(db.dataSource, rse, (manager) => manager.query(`UPDATE rses SET availability_write = false WHERE rse = $1`, [rse]));
    const known = await admin.run(['doctor', '--rse', rse]);
    expect(known.code).toBe(0);
    expect(known.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^WARNING storage: ${rse} dav://.*: write failed: .* \\(the RSE is marked unavailable for write\\)\\. Fix: .*, then make it available again\\.$`))]);
    expect(known.stderr).toMatch(/^1 warning\(s\); checked /);
    await rseChange(db.dataSource, rse, (manager) => manager.query(`UPDATE rses SET deleted = true, deleted_at = now() WHERE rse = $1`, [rse]));
  });

  it('names the RSEs it had no time left to probe', async () => {
    const report = await tarn.app.get(DoctorService).report({ daemons: { expected: [], instances: [] }, storage: true }, { ...DEFAULT_DOCTOR_SETTINGS, storageBudgetMs: -1 });
    expect(report.checks).toContainEqual({ check: 'storage', looked: 0 });
    expect(report.findings.filter((f) => f.check === 'storage')).toEqual([
      { check: 'storage', severity: 'warning', subject: [...healthy].sort().join(', '), what: expect.stringMatching(/^not probed: /), fix: expect.stringContaining('tarn doctor --rse NAME') },
    ]);
  });

  it('names a daemon instance that was killed', async () => {
    const reaper = startDaemonProcess('reaper', db.url, { TARN_HEARTBEAT_INTERVAL_SECONDS: '1' });
    processes.push(reaper);
    const pidOf = async () => (await admin.json<{ pid: number; state: string }[]>(['daemon', 'list', '--daemon', 'reaper'])).find((i) => i.pid === reaper.child.pid);
    await waitFor('the reaper process alive', async () => (await pidOf())?.state === 'alive', 60_000).catch((error) => {
      throw new Error(`${error.message}\n${reaper.output()}`);
    });
    reaper.child.kill('SIGKILL');
    await reaper.exited;
    await waitFor('the killed reaper dead', async () => (await pidOf())?.state === 'dead', 20_000, 200);
    const run = await admin.run(['doctor', '--no-storage']);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^ERROR daemons: reaper on ${hostname()} \\(pid ${reaper.child.pid}\\): dead: no heartbeat for \\d+ s \\(dead after 3 s\\)\\. Fix: restart it`)),
    ]);
  });

  it('says a password is wrong, and that an account is not an administrator', async () => {
    const stranger = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'doctor', TARN_PASSWORD: 'wrong-password' });
    const wrong = await stranger.run(['doctor', '--no-storage']);
    stranger.drop();
    expect(wrong.code).toBe(1);
    expect(wrong.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR token: doctor: Logging in as account 'doctor' .* failed: .*\. Fix: check the account, username and password/)]);
    const plain = await admin.run(['doctor', '--no-storage'], { TARN_ACCOUNT: 'plain' });
    expect(plain.code).toBe(1);
    expect(plain.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR config: plain: .*\. Fix: run tarn doctor as an administrator/)]);
    const nowhere = await admin.run(['doctor'], { TARN_URL: 'http://127.0.0.1:9' });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stdout).toMatch(/^ERROR config: http:\/\/127\.0\.0\.1:9: Tarn does not answer \(ECONNREFUSED\)\. Fix: start Tarn, or fix the URL/);
  });

  it('names a Kafka consumer group that is behind with nobody in it', async () => {
    await admin.ok(['scope', 'add', 'doctor.lag']);
    await admin.ok(['did', 'add', 'doctor.lag:set-1', '--type', 'dataset']);
    const prefix = process.env.TARN_KAFKA_TOPIC_PREFIX!;
    const kafkaAdmin = createTestKafka().admin();
    await kafkaAdmin.connect();
    try {
      const topic = `${prefix}tarn.did`;
      await waitFor('the DID events on Kafka', async () => (await kafkaAdmin.fetchTopicOffsets(topic)).some((p) => Number(p.high) > 0));
      const partitions = (await kafkaAdmin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: '0' }));
      await kafkaAdmin.setOffsets({ groupId: `${prefix}auditor`, topic, partitions });
    } finally {
      await kafkaAdmin.disconnect();
    }
    const report = JSON.parse((await admin.run(['--json', 'doctor', '--no-storage'])).stdout) as Report;
    expect(report.findings.filter((f) => f.check === 'event-bus')).toEqual([
      { check: 'event-bus', severity: 'error', subject: 'auditor on tarn.did', what: expect.stringMatching(/^\d+ event\(s\) behind and no consumer in the group$/), fix: 'start auditor; it reads the events it missed when it comes back' },
    ]);
  });

  it('warns of a host whose clock is off', async () => {
    await upsertHeartbeat(
      db.dataSource.manager,
      { executable: 'reaper', hostname: 'skewed-host', pid: 1, thread: 'main' },
      { deadAfterSeconds: 600, clock: new Date(Date.now() + 120_000).toISOString() },
      { afterSeconds: 600, unreplacedAfterSeconds: 600, defaultDeadAfterSeconds: 30 },
    );
    const report = JSON.parse((await admin.run(['--json', 'doctor', '--no-storage'])).stdout) as Report;
    expect(report.findings.filter((f) => f.check === 'clocks')).toEqual([
      { check: 'clocks', severity: 'warning', subject: 'skewed-host', what: expect.stringMatching(/^its clock is 1[12]\d\.\d s ahead of the catalogue database's$/), fix: expect.stringContaining('chrony') },
    ]);
  });
});
