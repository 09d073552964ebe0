import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashPath, ReplicaState } from '@tarn/domain';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { TraceService } from '@tarn/core/traces/trace.service.js';
import { rucioClient, startTestApi, type RucioClient, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';

/**
 * The stock `rucio upload` then `rucio download` on a posix RSE: the client copies the file itself (posix
 * protocol), registers it (add_replicas COPYING, a rule, update_replicas_states AVAILABLE); the registrar verifies
 * it on the storage, and the download reads it back byte for byte (checking its adler32).
 */
const STEP_TIMEOUT = 180_000;

describe('rucio upload and rucio download (stock client, posix RSE)', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const scope = 'user.jdoe';
  let db: TestDatabase;
  let api: TestApi;
  let cli: RucioClient;
  let registrar: ReplicaRegistrarService;
  let storage: string;
  let work: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    registrar = api.app.get(ReplicaRegistrarService, { strict: false });
    await createAccount(db.dataSource, { account: 'root', admin: true });
    await createAccount(db.dataSource, { account: 'jdoe', password });
    await createScope(db.dataSource, { scope, account: 'jdoe' });
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-upload-rse-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-upload-work-'));
    await createRse(db.dataSource, {
      rse: 'POSIX_A',
      protocols: [{ scheme: 'file', hostname: 'localhost', port: 0, prefix: storage, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } } }],
    });
    cli = await rucioClient(api.url, 'jdoe', password);
  }, STEP_TIMEOUT);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    if (storage) fs.rmSync(storage, { recursive: true, force: true });
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('round-trips a file byte for byte; the replica is AVAILABLE only once the registrar verified it', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 17);
    const source = path.join(work, 'night-4711.raw');
    fs.writeFileSync(source, content);

    const upload = await cli.attempt('rucio', ['upload', '--rse', 'POSIX_A', '--scope', scope, source]);
    expect(`${upload.code}\n${upload.stdout}\n${upload.stderr}`).toMatch(/^0\n/);
    // Buffer.equals, not toEqual: jest compares a 3 MiB Buffer element by element (~35 s).
    expect(fs.readFileSync(path.join(storage, hashPath(scope, 'night-4711.raw'))).equals(content)).toBe(true);
    const [announced] = await readReplicas(db.dataSource, scope, 'night-4711.raw');
    expect(announced.state).toBe(ReplicaState.COPYING);
    const [rule] = await db.dataSource.query(`SELECT state, account FROM rules WHERE scope = $1 AND name = $2`, [scope, 'night-4711.raw']);
    expect(rule).toEqual({ state: 'R', account: 'jdoe' });

    expect(await registrar.verifyDue()).toMatchObject({ checked: 1, available: 1, bad: 0 });
    expect((await readReplicas(db.dataSource, scope, 'night-4711.raw'))[0].state).toBe(ReplicaState.AVAILABLE);
    expect(await db.dataSource.query(`SELECT state FROM rules WHERE scope = $1 AND name = $2`, [scope, 'night-4711.raw'])).toEqual([{ state: 'O' }]);

    const target = path.join(work, 'download');
    const download = await cli.attempt('rucio', ['download', '--dir', target, `${scope}:night-4711.raw`]);
    expect(`${download.code}\n${download.stdout}\n${download.stderr}`).toMatch(/^0\n/);
    expect(fs.readFileSync(path.join(target, scope, 'night-4711.raw')).equals(content)).toBe(true);

    // The client reports the download to POST /traces/; kronos records the read (the upload's trace is no read).
    expect(await api.app.get(TraceService).applyBatch(100)).toMatchObject({ traces: 1, replicas: 1 });
    const [read] = await db.dataSource.query(`SELECT accessed_at, access_cnt FROM replicas WHERE scope = $1 AND name = $2`, [scope, 'night-4711.raw']);
    expect(Number(read.access_cnt)).toBe(1);
    expect(Date.now() - new Date(read.accessed_at).getTime()).toBeLessThan(STEP_TIMEOUT);
  }, STEP_TIMEOUT);

  it('uploads 3 files into a dataset (created with its rule, the files attached); rucio download <scope>:<dataset> gets all three', async () => {
    const files = ['sub.1', 'sub.2', 'sub.3'].map((name) => ({ name, content: randomBytes(10_000 + name.length) }));
    for (const f of files) fs.writeFileSync(path.join(work, f.name), f.content);
    const upload = await cli.attempt('rucio', ['upload', '--rse', 'POSIX_A', '--scope', scope, ...files.map((f) => path.join(work, f.name)), `${scope}:subbands`]);
    expect(`${upload.code}\n${upload.stdout}\n${upload.stderr}`).toMatch(/^0\n/);
    expect(await db.dataSource.query(`SELECT child_name FROM contents WHERE scope = $1 AND name = 'subbands' ORDER BY child_name`, [scope])).toEqual(
      files.map((f) => ({ child_name: f.name })),
    );
    expect(await registrar.verifyDue()).toMatchObject({ checked: 3, available: 3 });
    expect(await db.dataSource.query(`SELECT state FROM rules WHERE scope = $1 AND name = 'subbands'`, [scope])).toEqual([{ state: 'O' }]);

    const target = path.join(work, 'download-ds');
    const download = await cli.attempt('rucio', ['download', '--dir', target, `${scope}:subbands`]);
    expect(`${download.code}\n${download.stdout}\n${download.stderr}`).toMatch(/^0\n/);
    expect(download.stderr).not.toMatch(/DID does not exist/);
    // The stock client puts the files of a dataset into a directory named after it.
    expect(fs.readdirSync(path.join(target, 'subbands')).sort()).toEqual(files.map((f) => f.name));
    for (const f of files) expect(fs.readFileSync(path.join(target, 'subbands', f.name)).equals(f.content)).toBe(true);
  }, STEP_TIMEOUT);

  it('downloads a container of two datasets: every file of both, byte for byte', async () => {
    const files = ['night.a.1', 'night.b.1', 'night.b.2'].map((name) => ({ name, content: randomBytes(20_000 + name.length) }));
    for (const f of files) fs.writeFileSync(path.join(work, f.name), f.content);
    for (const [dataset, names] of [['nights.a', ['night.a.1']], ['nights.b', ['night.b.1', 'night.b.2']]] as const) {
      const upload = await cli.attempt('rucio', ['upload', '--rse', 'POSIX_A', '--scope', scope, ...names.map((n) => path.join(work, n)), `${scope}:${dataset}`]);
      expect(`${upload.code}\n${upload.stdout}\n${upload.stderr}`).toMatch(/^0\n/);
    }
    expect(await registrar.verifyDue()).toMatchObject({ checked: 3, available: 3 });
    await cli.run('rucio', ['did', 'add', '--type', 'container', `${scope}:nights`]);
    await cli.run('rucio', ['did', 'content', 'add', '--to-did', `${scope}:nights`, `${scope}:nights.a`, `${scope}:nights.b`]);

    const target = path.join(work, 'download-cnt');
    const download = await cli.attempt('rucio', ['download', '--dir', target, `${scope}:nights`]);
    expect(`${download.code}\n${download.stdout}\n${download.stderr}`).toMatch(/^0\n/);
    expect(download.stderr).not.toMatch(/DID does not exist/);
    expect(fs.readdirSync(path.join(target, 'nights')).sort()).toEqual(files.map((f) => f.name));
    for (const f of files) expect(fs.readFileSync(path.join(target, 'nights', f.name)).equals(f.content)).toBe(true);
  }, STEP_TIMEOUT);
});
