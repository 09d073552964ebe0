import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PASSWORD = 'usability-secret';
const DAY = 86400_000;

/**
 * What a user of `tarn` meets: files registered in place are never mistaken for one another, every argument is
 * checked before anything is done, and the smaller things (remembered account, quiet pipes, summaries, the URL).
 */
describe('tarn: checked arguments, safe registration, and the smaller things', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let root: CliUser;
  let rse: Awaited<ReturnType<typeof createTestDirectory>>;
  let work: Awaited<ReturnType<typeof createTestDirectory>>;
  const port = () => new URL(tarn.url).port;
  const onRse = (path: string, content: Buffer) => {
    mkdirSync(join(rse.root, path, '..'), { recursive: true });
    writeFileSync(join(rse.root, path), content);
  };
  const rules = async (did: string) => (await root.json(['rule', 'list', '--did', did])) as Array<Record<string, any>>;
  const expiresIn = (rule: Record<string, any>) => Date.parse(rule.expires_at) - Date.now();

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    rse = await createTestDirectory();
    work = await createTestDirectory();
    root = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'root', TARN_PASSWORD: PASSWORD });
    await root.ok(['scope', 'add', 'user.root']);
    await root.ok(['rse', 'add', 'ND', '--non-deterministic']);
    await root.ok(['rse', 'add-protocol', 'ND', '--scheme', 'file', '--prefix', rse.root]);
    mkdirSync(join(rse.root, 'posix'));
    await root.ok(['rse', 'add', 'POSIX']);
    await root.ok(['rse', 'add-protocol', 'POSIX', '--scheme', 'file', '--prefix', join(rse.root, 'posix')]);
  });

  afterAll(async () => {
    root?.drop();
    await Promise.all([rse?.drop(), work?.drop()]);
    await tarn?.close();
    await db?.drop();
  });

  describe('tarn register never mistakes one file for another', () => {
    const a = randomBytes(3000);
    const b = randomBytes(3100);

    it('skips a name only for the very file registered; another file under that name fails, and nothing is attached', async () => {
      onRse('night1/x.dat', a);
      onRse('night2/x.dat', b);
      const first = await root.json(['register', 'night1/x.dat', '--rse', 'ND', '--scope', 'user.root', '--dataset', 'night1']);
      expect(first).toEqual([expect.objectContaining({ name: 'x.dat', path: 'night1/x.dat', bytes: 3000, action: 'registered', state: 'AVAILABLE' })]);

      const other = await root.run(['register', 'night2/x.dat', '--rse', 'ND', '--scope', 'user.root', '--dataset', 'night2']);
      expect(other.code).toBe(5);
      expect(other.stdout).toMatch(/^user\.root:x\.dat +night2\/x\.dat +- +- +failed +- +user\.root:x\.dat already exists with other content \(3000 bytes, adler32 \w{8}; this file has 3100 bytes/m);
      expect(other.stderr).toMatch(/^tarn: 1 of 1 file\(s\) were not registered: user\.root:x\.dat: .*DID names are never reused: give this file another name \(--did-name, e\.g\. '\{path\}'\)\n$/);
      expect((await root.run(['did', 'show', 'user.root:night2'])).code).toBe(4);

      // The very file again: skipped. The same content at another path: skipped too (one replica per file and RSE).
      expect(await root.json(['register', 'night1/x.dat', '--rse', 'ND', '--scope', 'user.root'])).toEqual([expect.objectContaining({ action: 'skipped', state: 'AVAILABLE' })]);
      onRse('copy/x.dat', a);
      expect(await root.json(['register', 'copy/x.dat', '--rse', 'ND', '--scope', 'user.root'])).toEqual([expect.objectContaining({ action: 'skipped' })]);
    });

    it('refuses two files that would get one name before anything is done; a template of the path keeps them apart', async () => {
      const clash = await root.run(['register', 'night1/x.dat', 'night2/x.dat', '--rse', 'ND', '--scope', 'user.root']);
      expect(clash.code).toBe(2);
      expect(clash.stderr).toBe("tarn: 'night1/x.dat' and 'night2/x.dat' would both be registered as user.root:x.dat: build distinct names from the path, e.g. --did-name '{path}' or --did-name '{dir}.{basename}' with a --pattern.\n");

      onRse('night3/x.dat', a);
      onRse('night4/x.dat', b);
      const named = await root.json(['register', 'night3/x.dat', 'night4/x.dat', '--rse', 'ND', '--scope', 'user.root', '--did-name', '{dir}.{basename}', '--dataset', 'nights']);
      expect(named.map((r: any) => [r.name, r.bytes, r.action, r.state])).toEqual([
        ['night3.x.dat', 3000, 'registered', 'AVAILABLE'],
        ['night4.x.dat', 3100, 'registered', 'AVAILABLE'],
      ]);
      expect((await root.json(['did', 'list', 'user.root:nights'])).map((d: any) => d.name)).toEqual(['night3.x.dat', 'night4.x.dat']);

      // A file on storage has one replica: the same file under a second name is refused, naming no other DID.
      const twice = await root.run(['register', 'night4/x.dat', '--rse', 'ND', '--scope', 'user.root', '--did-name', 'again-{basename}']);
      expect([twice.code, twice.stderr]).toEqual([5, expect.stringContaining("RSE 'ND' already holds a file at 'night4/x.dat' for another replica: register user.root:again-x.dat at a path of its own.")]);

      onRse('night5/x.dat', b);
      const grouped = await root.json(['register', 'night5/x.dat', '--rse', 'ND', '--scope', 'user.root', '--pattern', '^night(?<n>\\d+)/', '--did-name', 'run{n}-{stem}.{ext}']);
      expect(grouped).toEqual([expect.objectContaining({ name: 'run5-x.dat', bytes: 3100, action: 'registered' })]);
      const unknown = await root.run(['register', 'night2/x.dat', '--rse', 'ND', '--scope', 'user.root', '--did-name', '{night}.{basename}']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^tarn: The --did-name template '\{night\}\.\{basename\}' refers to \{night\}, which is neither a built-in field \(path, dir, basename, stem, ext\) nor a named group/);
    });

    it('registers what it can and says which file failed, with a non-zero exit', async () => {
      onRse('mixed/good.dat', randomBytes(100));
      const mixed = await root.run(['--json', 'register', 'mixed/good.dat', 'night2/x.dat', 'mixed/none.dat', '--rse', 'ND', '--scope', 'user.root']);
      expect(mixed.code).toBe(5);
      expect(JSON.parse(mixed.stdout).map((r: any) => [r.name, r.action])).toEqual([
        ['good.dat', 'registered'],
        ['x.dat', 'failed'],
        ['none.dat', 'failed'],
      ]);
    });
  });

  describe('every argument is checked before anything is done', () => {
    it("refuses --lifetime 2 days (the shell's two words) without creating a rule", async () => {
      writeFileSync(join(work.root, 'f.dat'), randomBytes(10));
      await root.ok(['upload', join(work.root, 'f.dat'), '--scope', 'user.root', '--rse', 'POSIX', '--no-rule']);
      const stray = await root.run(['rule', 'add', 'user.root:f.dat', '--rses', 'POSIX', '--lifetime', '2', 'days']);
      expect(stray.code).toBe(2);
      expect(stray.stderr).toBe("tarn: 'days' looks like the unit of a duration: quote the whole value, e.g. --lifetime '2 days' (or write 2d).\n");
      expect(await rules('user.root:f.dat')).toEqual([]);
      for (const bad of [['--copies', '0'], ['--lifetime', 'soon'], ['--lifetime', '1999-12-31'], ['--grouping', 'SOME'], ['--priority', '9']]) {
        const refused = await root.run(['rule', 'add', 'user.root:f.dat', '--rses', 'POSIX', ...bad]);
        expect([bad, refused.code]).toEqual([bad, 2]);
        expect(refused.stderr).toMatch(new RegExp(`^tarn: ${bad[0]} [^\\n]*\\n$`));
      }
      const notADid = await root.run(['rule', 'add', 'user.root:f.dat', 'nonsense', '--rses', 'POSIX']);
      expect([notADid.code, notADid.stderr]).toEqual([2, "tarn: 'nonsense' is not a DID: write scope:name, e.g. user.jdoe:run4711.\n"]);
      expect(await rules('user.root:f.dat')).toEqual([]);
    });

    it("takes durations as 2d, 48h or '2 days', and an absolute expiry date wherever a lifetime goes", async () => {
      for (const [lifetime, rses] of [['2d', 'POSIX'], ['48h', 'POSIX|ND'], ['2 days', 'POSIX\\ND'], ['1 day 24 hours', '*']] as const) {
        await root.ok(['rule', 'add', 'user.root:f.dat', '--rses', rses, '--lifetime', lifetime]);
      }
      const added = await rules('user.root:f.dat');
      expect(added).toHaveLength(4);
      for (const rule of added) expect(Math.abs(expiresIn(rule) - 2 * DAY)).toBeLessThan(60_000);

      const [dated] = await root.json(['rule', 'add', 'user.root:f.dat', '--rses', 'ND|POSIX', '--lifetime', '2031-01-31T12:00Z', '--comment', 'until then']);
      expect(Date.parse((await root.json(['rule', 'show', dated])).expires_at)).toBe(Date.parse('2031-01-31T12:00:00Z'));
      await root.ok(['rule', 'update', dated, '--lifetime', '2032-06-01']);
      expect(Date.parse((await root.json(['rule', 'show', dated])).expires_at)).toBe(Date.parse('2032-06-01T00:00:00Z'));
      await root.ok(['did', 'add', 'user.root:dated', '--lifetime', '2031-01-31']);
      expect(Date.parse((await root.json(['did', 'show', 'user.root:dated'])).expired_at)).toBe(Date.parse('2031-01-31T00:00:00Z'));
    });

    it('refuses bad values of other commands before they act', async () => {
      const type = await root.run(['rse', 'add', 'FLASHY', '--type', 'FLASH']);
      expect([type.code, type.stderr]).toEqual([2, "tarn: --type is one of DISK, TAPE, not 'FLASH'.\n"]);
      expect((await root.run(['rse', 'show', 'FLASHY'])).code).toBe(4);
      const rate = await root.run(['upload', join(work.root, 'f.dat'), '--scope', 'user.root', '--rse', 'POSIX', '--limit-rate', 'fast']);
      expect([rate.code, rate.stderr]).toEqual([2, "tarn: --limit-rate 'fast' is not a size: give bytes, or e.g. 500GB, 10TB, 512MiB.\n"]);
      const distance = await root.run(['rse', 'distance', 'POSIX', 'ND', 'near']);
      expect(distance.code).toBe(2);
      expect(await root.json(['rse', 'distance', 'POSIX', 'ND'])).toEqual([]);
    });
  });

  describe('one meaning for QoS: the QOS attribute, also shown as the QoS class', () => {
    it('rse add --qos, rse set-attr QOS and the API qos_class are one value, which QOS=... and qos_class=... select alike', async () => {
      await root.ok(['rse', 'add', 'Q_SAFE', '--qos', 'SAFE']);
      await root.ok(['rse', 'add', 'Q_FAST']);
      await root.ok(['rse', 'set-attr', 'Q_FAST', 'QOS', 'FAST']);
      const names = async (expression: string) => (await root.json(['rse', 'list', '-e', expression])).map((r: any) => r.rse);
      expect(await names('QOS=SAFE')).toEqual(['Q_SAFE']);
      expect(await names('qos_class=SAFE')).toEqual(['Q_SAFE']);
      expect(await names('QOS=FAST')).toEqual(['Q_FAST']);
      expect(await names('qos_class=FAST')).toEqual(['Q_FAST']);
      expect(await root.json(['rse', 'show', 'Q_SAFE'])).toMatchObject({ qos_class: 'SAFE', attributes: { QOS: 'SAFE' } });
      expect(await root.ok(['rse', 'list'])).toMatch(/^Q_FAST +DISK +FAST/m);

      // Through Rucio's update_rse: qos_class changes the attribute too, and 'none' removes both.
      const token = (await fetch(`${tarn.url}/auth/userpass`, { headers: { 'X-Rucio-Account': 'root', 'X-Rucio-Username': 'root', 'X-Rucio-Password': PASSWORD } })).headers.get('x-rucio-auth-token')!;
      const update = (rse: string, body: unknown) =>
        fetch(`${tarn.url}/rses/${rse}`, { method: 'PUT', headers: { 'X-Rucio-Auth-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect((await update('Q_FAST', { qos_class: 'CHEAP-ANALYSIS' })).status).toBe(201);
      expect((await root.json(['rse', 'show', 'Q_FAST'])).attributes.QOS).toBe('CHEAP-ANALYSIS');
      expect((await update('Q_FAST', { qos_class: 'none' })).status).toBe(201);
      expect(await root.json(['rse', 'show', 'Q_FAST'])).toMatchObject({ qos_class: null, attributes: {} });
      await root.ok(['rse', 'del-attr', 'Q_SAFE', 'QOS']);
      expect((await root.json(['rse', 'show', 'Q_SAFE'])).qos_class).toBeNull();
      const numeric = await root.run(['rse', 'set-attr', 'Q_SAFE', 'QOS', '5']);
      expect(numeric.code).toBe(2);
      expect(numeric.stderr).toMatch(/QOS is the RSE's QoS class, a text of 1 to 64 characters \(e\.g\. SAFE\), not 5\./);
    });
  });

  describe('the smaller things', () => {
    it('login remembers the account; the URL follows the server’s own TARN_HOST and TARN_PORT', async () => {
      const user = new CliUser({ TARN_PORT: port() });
      expect(await user.ok(['login', '--account', 'root', '--password', PASSWORD])).toMatch(new RegExp(`^Logged in as root at http://127\\.0\\.0\\.1:${port()};`));
      expect(await user.json(['whoami'])).toMatchObject({ account: 'root', url: `http://127.0.0.1:${port()}` });
      expect(await user.json(['--url', `127.0.0.1:${port()}`, 'whoami'])).toMatchObject({ account: 'root' });
      user.drop();
    });

    it('an unreachable URL says so, not "Not logged in"', async () => {
      const nowhere = await new CliUser({ TARN_URL: 'http://127.0.0.1:1', TARN_ACCOUNT: 'root' }).run(['rule', 'list']);
      expect(nowhere.code).toBe(7);
      expect(nowhere.stderr).toMatch(/^tarn: Reaching Tarn at http:\/\/127\.0\.0\.1:1 as account 'root': cannot reach Tarn at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)\. Check that it runs and the URL/);
    });

    it('ends an upload with a summary that says what expires, and a rule deletion with what happens to the copies', async () => {
      mkdirSync(join(work.root, 'night'));
      for (const n of ['a', 'b']) writeFileSync(join(work.root, 'night', `${n}.fits`), randomBytes(2000));
      const up = await root.run(['upload', join(work.root, 'night'), '--scope', 'user.root', '--rse', 'POSIX', '--dataset', 'night', '--lifetime', '30d']);
      expect(up.code).toBe(0);
      expect(up.stderr).toMatch(/^Uploaded 2 file\(s\), 4\.0 kB in [\d.]+ s, [\d.]+ \w?B\/s to POSIX; 0 skipped \(already there\), 0 failed\.$/m);
      expect(up.stderr).toMatch(/^Dataset user\.root:night created; it expires at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(then the undertaker removes it and its rules\)\.$/m);
      expect(up.stderr).toMatch(/^A rule keeps the files on POSIX until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; after that they stay until POSIX needs the space\.$/m);
      const again = await root.run(['upload', join(work.root, 'night'), '--scope', 'user.root', '--rse', 'POSIX', '--dataset', 'night']);
      expect(again.stderr).toMatch(/^Uploaded 0 file\(s\), 0 B in [\d.]+ s.* 2 skipped \(already there\), 0 failed\.\nDataset user\.root:night existed: it keeps its own lifetime\.$/m);

      const [rule] = await rules('user.root:night');
      const deleted = await root.run(['rule', 'delete', rule.id]);
      expect(deleted.stderr).toMatch(
        new RegExp(`^Deleted rule ${rule.id} on user\\.root:night: its 2 file replica\\(s\\) on 'POSIX' that no other rule holds stay until their RSE needs the space \\(then least recently used first\\); queued transfers are cancelled\\. To free the space at once: delete with --purge-replicas\\.\\n$`),
      );
    });

    it('`tarn rule list | head` exits quietly when the reader goes away', async () => {
      const child = spawn(process.execPath, ['--import', './test/events/support/ts-register.mjs', 'apps/cli/src/main.ts', 'rse', 'list'], {
        cwd: ROOT,
        env: { ...process.env, TARN_URL: tarn.url, TARN_ACCOUNT: 'root', TARN_PASSWORD: PASSWORD, HOME: work.root },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
      expect([code, stderr]).toEqual([0, '']);
    });

    it('names the command whose help to read', async () => {
      const unknown = await root.run(['rule', 'add', 'user.root:f.dat', '--rses', 'POSIX', '--colour', 'red']);
      expect([unknown.code, unknown.stderr]).toEqual([2, "tarn: unknown option '--colour' (see tarn rule add --help)\n"]);
    });
  });
});
