/**
 * Names are not paths: `tarn download` writes every file inside --dir, whatever the catalogue says its scope and
 * name are (a catalogue made before '..' was refused as a scope, or a server that lies), and never replaces a
 * different file already there unless --overwrite is given.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { ChecksumSet } from '@tarn/checksums';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

const PASSWORD = 'download-safety';
const urlParts = (url: string) => ({ hostname: new URL(url).hostname, port: Number(new URL(url).port) });

describe('tarn download: every file inside --dir, no file replaced unless asked', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let cli: CliUser;
  let rseDir: Awaited<ReturnType<typeof createTestDirectory>>;
  let rseId: string;

  /** A file of `content` in `scope` on the RSE (at `path`), registered as AVAILABLE behind the API's back. */
  async function storedFile(scope: string, name: string, content: Buffer, path: string) {
    const set = await ChecksumSet.create(['adler32']);
    set.update(content);
    const spec = { scope, name, bytes: content.length, adler32: set.result().adler32!, md5: createHash('md5').update(content).digest('hex') };
    const [made] = await createFiles(db.dataSource, { scope, account: 'safe', count: 1, bytes: content.length });
    await db.dataSource.query(`UPDATE dids SET name = $3, adler32 = $4, md5 = $5 WHERE scope = $1 AND name = $2`, [scope, made.name, name, spec.adler32, spec.md5]);
    mkdirSync(dirname(join(rseDir.root, path)), { recursive: true });
    writeFileSync(join(rseDir.root, path), content);
    await createReplicas(db.dataSource, { rseId, files: [spec], path });
    return spec;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'safe', admin: true, password: PASSWORD });
    cli = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'safe', TARN_PASSWORD: PASSWORD });
    rseDir = await createTestDirectory();
    await cli.ok(['scope', 'add', 'user.safe']);
    await cli.ok(['rse', 'add', 'SAFE_POSIX']);
    await cli.ok(['rse', 'add-protocol', 'SAFE_POSIX', '--scheme', 'file', '--prefix', rseDir.root]);
    rseId = (await db.dataSource.query(`SELECT id FROM rses WHERE rse = 'SAFE_POSIX'`))[0].id;
  });

  afterAll(async () => {
    cli?.drop();
    await tarn?.close();
    await rseDir?.drop();
    await db?.drop();
  });

  it("refuses the scopes '.' and '..' through the API, the command line and Rucio's route", async () => {
    for (const scope of ['..', '.']) {
      const run = await cli.run(['scope', 'add', scope]);
      expect({ scope, code: run.code }).toEqual({ scope, code: 2 });
      expect(run.stderr).toContain(`Invalid scope "${scope}"`);
    }
    const login = await fetch(`${tarn.url}/auth/userpass`, { headers: { 'X-Rucio-Account': 'safe', 'X-Rucio-Username': 'safe', 'X-Rucio-Password': PASSWORD } });
    const token = login.headers.get('x-rucio-auth-token')!;
    // Sent as written (a WHATWG URL would take %2E%2E for '..' and drop the segment before it leaves).
    const post = (path: string) =>
      new Promise<{ status: number; body: string }>((done, fail) => {
        const req = httpRequest({ ...urlParts(tarn.url), path, method: 'POST', headers: { 'X-Rucio-Auth-Token': token } }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => done({ status: res.statusCode!, body }));
        });
        req.on('error', fail);
        req.end();
      });
    for (const scope of ['%2E%2E', '%2E', '..%2F..']) {
      const response = await post(`/scopes/safe/${scope}`);
      expect({ scope, status: response.status }).toEqual({ scope, status: 400 });
      expect(response.body).toContain('Invalid scope');
    }
    expect((await db.dataSource.query(`SELECT scope FROM scopes WHERE scope IN ('.', '..', '../..')`)).length).toBe(0);
  });

  it("writes no file outside --dir for a dataset that holds '..:x' (an old catalogue's), and leaves the file there alone", async () => {
    await createScope(db.dataSource, { account: 'safe', scope: '..' });
    const evil = await storedFile('..', 'victim.txt', randomBytes(1000), 'evil/victim.txt');
    const good = await storedFile('user.safe', 'good.dat', randomBytes(1000), 'good/good.dat');
    await createDataset(db.dataSource, { scope: 'user.safe', account: 'safe', name: 'mixed', files: [evil, good] });
    const home = join(cli.home, 'work');
    const dest = join(home, 'dest');
    mkdirSync(dest, { recursive: true });
    writeFileSync(join(home, 'victim.txt'), 'mine');

    const run = await cli.run(['download', 'user.safe:mixed', '--dir', dest]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('..:victim.txt: not written');
    expect(run.stderr).toContain(`which would not stay inside ${dest}`);
    expect(readFileSync(join(home, 'victim.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(home).sort()).toEqual(['dest', 'victim.txt']);
    expect(existsSync(join(dest, 'user.safe', 'good.dat'))).toBe(true);
  });

  it('leaves a different local file alone unless --overwrite, says so, and replaces it with --overwrite', async () => {
    const content = randomBytes(2000);
    await storedFile('user.safe', 'kept.dat', content, 'kept/kept.dat');
    const dest = join(cli.home, 'overwrite');
    mkdirSync(join(dest, 'user.safe'), { recursive: true });
    writeFileSync(join(dest, 'user.safe', 'kept.dat'), 'my own notes');

    const refused = await cli.run(['download', 'user.safe:kept.dat', '--dir', dest]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`user.safe:kept.dat: not written: ${join(dest, 'user.safe', 'kept.dat')} exists with other content`);
    expect(refused.stderr).toContain('--overwrite');
    expect(readFileSync(join(dest, 'user.safe', 'kept.dat'), 'utf8')).toBe('my own notes');
    expect(readdirSync(join(dest, 'user.safe'))).toEqual(['kept.dat']);

    const same = await cli.json(['download', 'user.safe:kept.dat', '--dir', dest, '--overwrite']);
    expect(same.map((r: { action: string }) => r.action)).toEqual(['downloaded']);
    expect(readFileSync(join(dest, 'user.safe', 'kept.dat'))).toEqual(content);
    // The same bytes already there: skipped, with or without --overwrite.
    expect((await cli.json(['download', 'user.safe:kept.dat', '--dir', dest])).map((r: { action: string }) => r.action)).toEqual(['skipped']);
  });

  it('writes nothing through a symbolic link that leads out of --dir', async () => {
    await storedFile('user.safe', 'linked.dat', randomBytes(500), 'linked/linked.dat');
    const home = join(cli.home, 'links');
    const outside = join(home, 'outside');
    const dest = join(home, 'dest');
    mkdirSync(outside, { recursive: true });
    mkdirSync(dest, { recursive: true });
    symlinkSync(outside, join(dest, 'user.safe'));
    const run = await cli.run(['download', 'user.safe:linked.dat', '--dir', dest]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('leads outside');
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses two files that --no-subdir would put at the same place', async () => {
    await createScope(db.dataSource, { account: 'safe', scope: 'user.other' });
    const a = await storedFile('user.safe', 'twin.dat', randomBytes(300), 'twin/a.dat');
    const b = await storedFile('user.other', 'twin.dat', randomBytes(300), 'twin/b.dat');
    await createDataset(db.dataSource, { scope: 'user.safe', account: 'safe', name: 'twins', files: [a, b] });
    const dest = join(cli.home, 'flat');
    const run = await cli.run(['download', 'user.safe:twins', '--dir', dest, '--no-subdir']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/twin\.dat: not written: user\.(safe|other):twin\.dat is written to .* too: download them without --no-subdir/);
    expect(readdirSync(dest)).toEqual(['twin.dat']);
  });
});
