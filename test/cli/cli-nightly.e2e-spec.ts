/**
 * The nightly sequence a telescope's cron job runs, end to end with the real daemons of embedded mode (registrar,
 * rule daemons, transfer submitter/worker/finisher) on a posix and an S3 RSE:
 * upload 4 files into a new dataset with a 30-day lifetime -> a rule for 2 copies on QOS=SAFE -> `tarn rule show
 * --wait` reaches OK -> `tarn download` of the dataset verifies every file.
 */
import { jest } from '@jest/globals';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestBucket, createTestDirectory, testS3Server } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { CliUser } from './cli-harness.js';

jest.setTimeout(180_000);

const PASSWORD = 'nightly-secret';

describe('tarn: the nightly sequence', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let cli: CliUser;
  const areas: Array<{ drop(): Promise<void> }> = [];
  const s3 = testS3Server();

  beforeAll(async () => {
    db = await createTestDatabase();
    Object.assign(process.env, { TARN_S3_ACCESS_KEY_ID: s3.accessKeyId, TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, TARN_S3_REGION: s3.region });
    tarn = await startTestTarn(db, 'embedded');
    await createAccount(db.dataSource, { account: 'nightly', admin: true, password: PASSWORD });
    cli = new CliUser({
      TARN_URL: tarn.url,
      TARN_ACCOUNT: 'nightly',
      TARN_PASSWORD: PASSWORD,
      TARN_S3_ACCESS_KEY_ID: s3.accessKeyId,
      TARN_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      TARN_S3_REGION: s3.region,
    });
    const posix = await createTestDirectory();
    const bucket = await createTestBucket();
    areas.push(posix, bucket);
    await cli.ok(['scope', 'add', 'tel.north']);
    await cli.ok(['rse', 'add', 'NIGHT_POSIX']);
    await cli.ok(['rse', 'add-protocol', 'NIGHT_POSIX', '--scheme', 'file', '--prefix', posix.root]);
    await cli.ok(['rse', 'add', 'NIGHT_S3']);
    const p = bucket.protocol;
    await cli.ok(['rse', 'add-protocol', 'NIGHT_S3', '--scheme', p.scheme, '--hostname', p.hostname, '--port', String(p.port), '--prefix', p.prefix]);
    for (const rse of ['NIGHT_POSIX', 'NIGHT_S3']) await cli.ok(['rse', 'set-attr', rse, 'QOS', 'SAFE']);
  });

  afterAll(async () => {
    cli?.drop();
    await tarn?.close();
    for (const area of areas) await area.drop().catch(() => undefined);
    await db?.drop();
  });

  it('uploads, replicates to 2 copies, reaches OK and downloads verified', async () => {
    const night = join(cli.home, 'night-2026-11-21');
    mkdirSync(night);
    const sizes = [1, 70_000, 1_500_000, 333];
    sizes.forEach((bytes, i) => writeFileSync(join(night, `frame${i}.fits`), randomBytes(bytes)));

    const uploaded = await cli.json(['upload', night, '--scope', 'tel.north', '--rse', 'NIGHT_POSIX', '--dataset', 'night-2026-11-21', '--lifetime', '30d', '--meta', 'night=20261121']);
    expect(uploaded.map((r: any) => r.state)).toEqual(['AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'AVAILABLE']);
    const ds = await cli.json(['did', 'show', 'tel.north:night-2026-11-21']);
    expect(Math.abs(Date.parse(ds.expired_at) - Date.now() - 30 * 86400_000)).toBeLessThan(120_000);

    const [ruleId] = await cli.json(['rule', 'add', 'tel.north:night-2026-11-21', '--copies', '2', '--rses', 'QOS=SAFE', '--lifetime', '30d']);
    const shown = await cli.json(['rule', 'show', ruleId, '--wait', '150s', '--interval', '0.5']);
    expect(shown).toMatchObject({ state: 'OK', locks_ok_cnt: 8, locks_replicating_cnt: 0, locks_stuck_cnt: 0 });
    expect(new Set(shown.locks.map((l: any) => l.rse))).toEqual(new Set(['NIGHT_POSIX', 'NIGHT_S3']));
    expect(shown.locks.every((l: any) => l.state === 'OK')).toBe(true);
    // How each file got there: uploaded to posix (no transfer), streamed by the transfer worker to S3, and why.
    expect(shown.locks.filter((l: any) => l.rse === 'NIGHT_S3').map((l: any) => l.copy_method)).toEqual(['streamed', 'streamed', 'streamed', 'streamed']);
    expect(shown.locks.filter((l: any) => l.rse === 'NIGHT_POSIX').map((l: any) => l.copy_method)).toEqual([null, null, null, null]);
    const text = await cli.ok(['rule', 'show', ruleId]);
    expect(text).toMatch(/ COPY +REASON\n/);
    expect(text).toMatch(/how files were copied \(locks, method: why\):\n  4  streamed: streamed through this host \(file:\/\/ -> s3\+http:\/\/\); no third-party copy: .*not S3/);

    // Both copies verified: download from S3 only, then everything (posix first), each file checked.
    const fromS3 = join(cli.home, 'from-s3');
    const got = await cli.json(['download', 'tel.north:night-2026-11-21', '--dir', fromS3, '--rses', 'NIGHT_S3']);
    expect(got.map((r: any) => [r.name, r.rse, r.action]).sort()).toEqual(
      sizes.map((_, i) => [`frame${i}.fits`, 'NIGHT_S3', 'downloaded']),
    );
    for (let i = 0; i < sizes.length; i++) {
      expect(readFileSync(join(fromS3, 'tel.north', `frame${i}.fits`))).toEqual(readFileSync(join(night, `frame${i}.fits`)));
    }
    const table = await cli.ok(['download', 'tel.north:night-2026-11-21', '--dir', join(cli.home, 'any')]);
    expect(table.match(/ NIGHT_POSIX +downloaded /g)).toHaveLength(4);
  });
});
