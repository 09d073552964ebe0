/**
 * docs/xrootd.md with the tarn command line, against an embedded Tarn (its real daemons) and the two XRootD
 * servers of scripts/services/xrootd.sh: two XRootD RSEs, an upload verified with the server's checksum, a rule
 * whose copy is third-party (tarn rule show says so), a download back through root://; an RSE whose root:// door
 * is down is written, read and registered through its WebDAV door, and tarn says so.
 */
import { jest } from '@jest/globals';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { Readable } from 'node:stream';
import { deterministicPath } from '@tarn/domain';
import { createStorage } from '@tarn/storage';
import { adler32Of, createTestXrootdArea } from '@tarn/testing/storage.js';
import { closedPort } from '@tarn/testing/host.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

jest.setTimeout(120_000);

describe('tarn with XRootD RSEs', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let cli: CliUser;
  const areas: Array<{ drop(): Promise<void> }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'xrd', admin: true, password: 'xrd-secret' });
    cli = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'xrd', TARN_PASSWORD: 'xrd-secret' });
  });

  afterAll(async () => {
    cli?.drop();
    await tarn?.close();
    for (const area of areas) await area.drop().catch(() => undefined);
    await db?.drop();
  });

  it('uploads to an XRootD RSE, copies third-party to another, shows how, and downloads verified', async () => {
    const [a, b] = await Promise.all([createTestXrootdArea('a'), createTestXrootdArea('b')]);
    areas.push(a, b);
    await cli.ok(['scope', 'add', 'user.xrd']);
    for (const [rse, area] of [['EOS_A', a], ['EOS_B', b]] as const) {
      await cli.ok(['rse', 'add', rse, '--qos', 'SAFE']);
      await cli.ok(['rse', 'add-protocol', rse, '--scheme', 'root', '--hostname', '127.0.0.1', '--port', String(area.protocol.port), '--prefix', `//${area.directory}`,
        '--impl', 'rucio.rse.protocols.xrootd.Default', '--priority', '1', '--tpc', '1']);
    }
    const night = join(cli.home, 'night');
    mkdirSync(night);
    const content = randomBytes(1_500_000);
    writeFileSync(join(night, 'frame.fits'), content);
    const uploaded = await cli.json(['upload', join(night, 'frame.fits'), '--scope', 'user.xrd', '--rse', 'EOS_A']);
    expect(uploaded.map((r: any) => r.state)).toEqual(['AVAILABLE']);

    const [ruleId] = await cli.json(['rule', 'add', 'user.xrd:frame.fits', '--rses', 'EOS_B', '--copies', '1']);
    const shown = await cli.json(['rule', 'show', ruleId, '--wait', '60s', '--interval', '0.5']);
    expect(shown).toMatchObject({ state: 'OK', locks_ok_cnt: 1 });
    expect(shown.locks[0]).toMatchObject({ rse: 'EOS_B', copy_method: 'third-party', copy_method_reason: `XRootD third-party copy: ${b.server.url} pulled the file from ${a.server.url}` });
    expect(await cli.ok(['rule', 'show', ruleId])).toMatch(/how files were copied \(locks, method: why\):\n  1  third-party: XRootD third-party copy: root:\/\/127\.0\.0\.1:\d+ pulled the file from root:\/\/127\.0\.0\.1:\d+\n/);

    const out = join(cli.home, 'out');
    const got = await cli.json(['download', 'user.xrd:frame.fits', '--dir', out, '--rses', 'EOS_B']);
    expect(got).toMatchObject([{ name: 'frame.fits', rse: 'EOS_B', action: 'downloaded' }]);
    expect(readFileSync(join(out, 'user.xrd', 'frame.fits')).equals(content)).toBe(true);
  });

  it('uploads, downloads and registers through the WebDAV door of an RSE whose root:// door is down, and says so once', async () => {
    const area = await createTestXrootdArea('a');
    areas.push(area);
    const down = await closedPort();
    const http = new URL(area.server.httpUrl);
    await cli.ok(['rse', 'add', 'EOS_DOORS']);
    await cli.ok(['rse', 'add-protocol', 'EOS_DOORS', '--scheme', 'root', '--hostname', '127.0.0.1', '--port', String(down), '--prefix', `//${area.directory}`, '--priority', '1']);
    await cli.ok(['rse', 'add-protocol', 'EOS_DOORS', '--scheme', 'dav', '--hostname', http.hostname, '--port', http.port, '--prefix', `/${area.directory}`, '--priority', '2']);
    const night = join(cli.home, 'doors');
    mkdirSync(night);
    const contents = [randomBytes(300_000), randomBytes(200_001)];
    contents.forEach((c, i) => writeFileSync(join(night, `door.${i}`), c));
    const rootDoor = `root://127.0.0.1:${down}//${area.directory}/`;
    const davDoor = `http://${http.host}/${area.directory}/`;

    const uploaded = await cli.run(['upload', night, '--scope', 'user.xrd', '--rse', 'EOS_DOORS', '--parallel', '1']);
    expect({ code: uploaded.code, stderr: uploaded.stderr }).toMatchObject({ code: 0 });
    const said = uploaded.stderr.split('\n').filter((l) => l.startsWith(`RSE 'EOS_DOORS': ${rootDoor} failed: `));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(new RegExp(`unavailable.*; going on through ${davDoor.replace(/[.]/g, '\\.')}\\.$`));
    expect(uploaded.stdout).toMatch(/VIA/);
    expect(uploaded.stderr).toMatch(/Uploaded 2 file\(s\)/);

    const out = join(cli.home, 'out-doors');
    const got = await cli.json(['download', 'user.xrd:door.0', 'user.xrd:door.1', '--dir', out, '--rses', 'EOS_DOORS', '--parallel', '1']);
    expect(got.map((r: any) => [r.name, r.action, r.via])).toEqual([
      ['door.0', 'downloaded', davDoor],
      ['door.1', 'downloaded', davDoor],
    ]);
    // The door that did not answer is tried last for the rest of the run: only the first file went through it.
    expect(got.filter((r: any) => r.fell_back_after.length > 0)).toHaveLength(1);
    expect(got.find((r: any) => r.fell_back_after.length > 0).fell_back_after[0]).toContain(`EOS_DOORS: ${rootDoor} failed: `);
    contents.forEach((c, i) => expect(readFileSync(join(out, 'user.xrd', `door.${i}`)).equals(c)).toBe(true));

    // A file already there is registered through the door that answers, with the checksum the storage computed.
    const placed = randomBytes(123_457);
    const writer = createStorage(area.protocol);
    await writer.write(deterministicPath('user.xrd', 'placed.0'), Readable.from([placed]));
    await writer.close();
    const registered = await cli.json(['register', 'placed.0', '--rse', 'EOS_DOORS', '--scope', 'user.xrd']);
    expect(registered).toMatchObject([{ name: 'placed.0', action: 'registered', state: 'AVAILABLE', bytes: placed.length, adler32: await adler32Of(placed) }]);
  });
});
