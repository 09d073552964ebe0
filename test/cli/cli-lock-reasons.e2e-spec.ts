import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { setConfig as setConfigRow } from '../transfers/support/transfer-fixtures.js';
import { CliUser } from './cli-harness.js';

const PASSWORD = 'reasons-secret';

/**
 * Every lock that is not OK says why, as a data manager sees it: `tarn rule show` (the REASON of each lock, the
 * rule's locks by reason), GET /rules/<id>/locks and GET /rules/<id>/analysis, against all of Tarn running.
 */
describe('tarn rule show: why each lock waits', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let root: CliUser;
  let token: string;
  let dirs: Array<Awaited<ReturnType<typeof createTestDirectory>>>;
  let work: Awaited<ReturnType<typeof createTestDirectory>>;

  const setConfig = (section: string, opt: string, value: string | number) => setConfigRow(db.dataSource, section, opt, value);
  const get = async (path: string): Promise<string> => {
    const response = await fetch(`${tarn.url}${path}`, { headers: { 'X-Rucio-Auth-Token': token } });
    const text = await response.text();
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text}`);
    return text;
  };
  const apiJson = async (path: string) => JSON.parse(await get(path));
  const apiLines = async (path: string) => (await get(path)).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  /** Polls `tarn rule show` until its text matches, at most 40 s. */
  const showUntil = async (id: string, pattern: RegExp): Promise<string> => {
    const deadline = Date.now() + 40_000;
    let text = '';
    while (Date.now() < deadline) {
      text = (await root.run(['rule', 'show', id])).stdout;
      if (pattern.test(text)) return text;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`rule ${id} never showed ${pattern}; last:\n${text}`);
  };
  const addPosixRse = async (name: string, prefix: string) => {
    await root.ok(['rse', 'add', name]);
    await root.ok(['rse', 'add-protocol', name, '--scheme', 'file', '--prefix', prefix]);
  };
  const localFile = (name: string, bytes: number) => {
    const path = join(work.root, name);
    writeFileSync(path, randomBytes(bytes));
    return path;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', { TARN_TRANSFER_SUBMITTER_INTERVAL_SECONDS: '1', TARN_TRANSFER_FINISHER_INTERVAL_SECONDS: '1' });
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    root = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'root', TARN_PASSWORD: PASSWORD });
    const login = await fetch(`${tarn.url}/auth/userpass`, { headers: { 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'root', 'X-Rucio-Password': PASSWORD } });
    token = login.headers.get('x-rucio-auth-token')!;
    dirs = await Promise.all([createTestDirectory(), createTestDirectory(), createTestDirectory()]);
    work = await createTestDirectory();
    await root.ok(['scope', 'add', 'user.root']);
    // Fast retries, so that the test sees attempts fail and rules get repaired within seconds.
    await setConfig('transfers', 'max_attempts', 2);
    await setConfig('transfers', 'backoff_base_seconds', 1);
    await setConfig('transfers', 'backoff_max_seconds', 1);
    await setConfig('repairer', 'backoff_base_seconds', 1);
    await setConfig('repairer', 'backoff_max_seconds', 2);
  });

  afterAll(async () => {
    root?.drop();
    await Promise.all([...(dirs ?? []), work].filter(Boolean).map((d) => d.drop()));
    await tarn?.close();
    await db?.drop();
  });

  it("the stock client's first session of docs/rucio-compatibility.md, done with tarn: a replica on a WebDAV RSE whose host does not resolve, then a rule", async () => {
    await root.ok(['rse', 'add', 'SITE_A']);
    await root.ok(['rse', 'set-attr', 'SITE_A', 'QOS', 'SAFE']);
    await root.ok(['rse', 'add-protocol', 'SITE_A', '--scheme', 'davs', '--hostname', 'dav.site-a.invalid', '--port', '443', '--prefix', '/tarn']);
    await root.ok(['did', 'add', 'user.root:file1', '--type', 'file', '--rse', 'SITE_A', '--bytes', '1024', '--adler32', '0b4c01a1']);
    const [id] = await root.json(['rule', 'add', 'user.root:file1', '--rses', 'QOS=SAFE']);

    // The rule's summary and its locks' rows are read by two requests: wait until both say it.
    const text = await showUntil(id, /^waiting: .*could not be verified yet[\s\S]*^user\.root:file1 +SITE_A +REPLICATING +1\.0 kB +the replica could not be verified yet/m);
    expect(text).toMatch(/^state: +REPLICATING \(locks OK 0, replicating 1, stuck 0\)$/m);
    expect(text).toMatch(/^waiting: +1 REPLICATING VERIFYING on SITE_A: the replica could not be verified yet \(\d+ attempt\(s\)\): .*dav\.site-a\.invalid.*; the replica-registrar checks again after \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    expect(text).toMatch(/^user\.root:file1 +SITE_A +REPLICATING +1\.0 kB +the replica could not be verified yet/m);

    const [lock] = await apiLines(`/rules/${id}/locks`);
    expect(lock).toMatchObject({ name: 'file1', rse: 'SITE_A', state: 'REPLICATING', reason_code: 'VERIFYING', reason: expect.stringMatching(/ENOTFOUND|EAI_AGAIN|getaddrinfo/) });
    const analysis = await apiJson(`/rules/${id}/analysis`);
    expect(analysis.rule_error).toMatch(/^1 lock\(s\) not OK: 1 REPLICATING VERIFYING \(e\.g\. the replica could not be verified yet/);
    expect(analysis.reasons).toEqual([
      { state: 'REPLICATING', reason_code: 'VERIFYING', locks: 1, bytes: 1024, rses: ['SITE_A'], example: { scope: 'user.root', name: 'file1', rse: 'SITE_A', reason: lock.reason } },
    ]);
    expect(analysis.transfers).toEqual([expect.objectContaining({ name: 'file1', rse: 'SITE_A', state: 'REPLICATING', reason_code: 'VERIFYING', last_error: lock.reason })]);
  });

  it('a throttled transfer says so (request WAITING), and copies once the throttler lets it', async () => {
    await addPosixRse('POSIX_A', dirs[0].root);
    await addPosixRse('POSIX_B', dirs[1].root);
    await root.ok(['upload', localFile('throttled.dat', 2000), '--scope', 'user.root', '--rse', 'POSIX_A']);
    await setConfig('throttler', 'POSIX_B', 0);
    const [id] = await root.json(['rule', 'add', 'user.root:throttled.dat', '--rses', 'POSIX_B']);
    const text = await showUntil(id, /THROTTLED/);
    expect(text).toMatch(/^waiting: +1 REPLICATING THROTTLED on POSIX_B: throttled: at most 0 transfer\(s\) at once into POSIX_B for activity 'default' \(configs throttler\/POSIX_B\); waiting for a slot$/m);
    expect(await db.dataSource.query(`SELECT state FROM requests WHERE rule_id = $1`, [id])).toEqual([{ state: 'W' }]);
    await setConfig('throttler', 'POSIX_B', 10);
    const done = await root.json(['rule', 'show', id, '--wait', '40s', '--interval', '0.2']);
    expect(done).toMatchObject({ state: 'OK', locks: [expect.objectContaining({ state: 'OK', reason: null, reason_code: null })] });
  });

  it('a rule waiting for approval says so, and what to do', async () => {
    const [id] = await root.json(['rule', 'add', 'user.root:throttled.dat', '--rses', 'POSIX_A|POSIX_B', '--copies', '2', '--ask-approval']);
    const text = await root.ok(['rule', 'show', id]);
    expect(text).toMatch(/^state: +WAITING_APPROVAL /m);
    expect(text).toMatch(/^waiting: +waiting for approval: an administrator approves it \(tarn rule approve <id>\) or denies it \(tarn rule deny <id>\)$/m);
    await root.ok(['rule', 'approve', id]);
    expect(await root.json(['rule', 'show', id, '--wait', '40s', '--interval', '0.2'])).toMatchObject({ state: 'OK' });
    await root.ok(['rule', 'delete', id]);
  });

  it('a failing transfer says which attempt failed and why, then STUCK after the last one', async () => {
    const blocker = join(dirs[2].root, 'not-a-directory');
    writeFileSync(blocker, 'x');
    await addPosixRse('POSIX_BROKEN', join(blocker, 'tarn'));
    const [id] = await root.json(['rule', 'add', 'user.root:throttled.dat', '--rses', 'POSIX_BROKEN']);
    const retrying = await showUntil(id, /RETRYING|STUCK TRANSFER_FAILED/);
    if (/RETRYING/.test(retrying)) expect(retrying).toMatch(/^waiting: +1 REPLICATING RETRYING on POSIX_BROKEN: attempt 1 of 2 failed: .*not-a-directory.*; next attempt (now|after .* UTC)$/m);
    const stuck = await root.run(['rule', 'show', id, '--wait', '40s', '--interval', '0.2']);
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toMatch(/^waiting: +1 STUCK TRANSFER_FAILED on POSIX_BROKEN: attempt 2 of 2 failed: .*not-a-directory.*; the rule-repairer retries it later$/m);
    expect(stuck.stderr).toMatch(/^tarn: Rule .* is STUCK: transfer failed 2 time\(s\), last: .*not-a-directory/m);
    expect(stuck.stderr).toMatch(/^rule .*: STUCK \(locks OK 0, replicating 0, stuck 1\) after \d+s$/m);
    await root.ok(['rule', 'delete', id]);
  });

  it('a failed upload blocks nothing: the replica it announced is looked for after the timeout, what waits re-plans, and uploading again repairs it', async () => {
    await setConfig('replicas', 'upload_timeout_seconds', 3);
    const prefix = join(work.root, 'flaky');
    writeFileSync(prefix, 'not a directory yet');
    await addPosixRse('FLAKY', prefix);
    const path = localFile('night.raw', 3000);
    const failed = await root.run(['upload', path, '--scope', 'user.root', '--rse', 'FLAKY']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Writing .*night\.raw as user\.root:night\.raw to RSE 'FLAKY' failed/);
    // Rules added after the failed upload: one on the RSE the upload announced, one elsewhere that needs it as source.
    const [here] = await root.json(['rule', 'add', 'user.root:night.raw', '--rses', 'FLAKY']);
    const [there] = await root.json(['rule', 'add', 'user.root:night.raw', '--rses', 'POSIX_A']);
    const waitingHere = await root.ok(['rule', 'show', here]);
    expect(waitingHere).toMatch(/^waiting: +1 REPLICATING UPLOADING on FLAKY: waiting for an upload: the replica was announced at .* UTC and not written yet; if it is not by .* UTC, the replica-registrar looks for it on storage and what waits for it is re-planned\. Uploading the file again repairs it$/m);
    const waitingThere = await showUntil(there, /NO_SOURCE|RETRYING/);
    expect(waitingThere).toMatch(/no source: no AVAILABLE replica of user\.root:night\.raw .*; the replica on FLAKY is not AVAILABLE yet \(being uploaded, copied or verified\): the copy starts once it is/);

    // After the timeout the registrar finds nothing on storage: the rule on FLAKY is STUCK and says what to do.
    const lost = await showUntil(here, /STUCK LOST/);
    expect(lost).toMatch(/^waiting: +1 STUCK LOST on FLAKY: lost: no other replica of user\.root:night\.raw; the one on FLAKY is BAD \(never written: announced by an upload at .* UTC and still missing on storage \(.*\)\)\. Upload the file again, or register a good copy, to repair it$/m);

    // The storage is fixed; uploading again repairs both rules.
    rmSync(prefix);
    mkdirSync(prefix);
    await root.ok(['upload', path, '--scope', 'user.root', '--rse', 'FLAKY']);
    expect(await root.json(['rule', 'show', here, '--wait', '40s', '--interval', '0.2'])).toMatchObject({ state: 'OK' });
    expect(await root.json(['rule', 'show', there, '--wait', '40s', '--interval', '0.2'])).toMatchObject({ state: 'OK' });
  });

  it('an announced replica that nothing needs and that is never written goes away', async () => {
    await setConfig('replicas', 'upload_timeout_seconds', 1);
    // An upload's announcement (as `tarn upload` and `rucio upload` make it) that no write follows.
    const announced = await fetch(`${tarn.url}/replicas`, {
      method: 'POST',
      headers: { 'X-Rucio-Auth-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rse: 'POSIX_B', files: [{ scope: 'user.root', name: 'ghost.raw', bytes: 10, adler32: '0b4c01a1', state: 'C' }] }),
    });
    expect(announced.status).toBe(201);
    const deadline = Date.now() + 40_000;
    let rows: Array<{ state: string }> = [];
    while (Date.now() < deadline) {
      rows = await db.dataSource.query(`SELECT r.state FROM replicas r JOIN rses s ON s.id = r.rse_id WHERE r.name = 'ghost.raw' AND s.rse = 'POSIX_B'`);
      if (rows.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(rows).toEqual([]);
  });
});
