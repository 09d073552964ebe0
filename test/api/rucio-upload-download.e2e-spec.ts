import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashPath, ReplicaState } from '@tarn/domain';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
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
    expect(fs.readFileSync(path.join(storage, hashPath(scope, 'night-4711.raw')))).toEqual(content);
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
  }, STEP_TIMEOUT);

  it('uploads into a dataset (created with its rule, the files attached), and downloads its files', async () => {
    const files = ['sub.1', 'sub.2'].map((name) => ({ name, content: randomBytes(10_000) }));
    for (const f of files) fs.writeFileSync(path.join(work, f.name), f.content);
    const upload = await cli.attempt('rucio', ['upload', '--rse', 'POSIX_A', '--scope', scope, ...files.map((f) => path.join(work, f.name)), `${scope}:subbands`]);
    expect(`${upload.code}\n${upload.stdout}\n${upload.stderr}`).toMatch(/^0\n/);
    expect(await db.dataSource.query(`SELECT child_name FROM contents WHERE scope = $1 AND name = 'subbands' ORDER BY child_name`, [scope])).toEqual([
      { child_name: 'sub.1' },
      { child_name: 'sub.2' },
    ]);
    expect(await registrar.verifyDue()).toMatchObject({ checked: 2, available: 2 });
    expect(await db.dataSource.query(`SELECT state FROM rules WHERE scope = $1 AND name = 'subbands'`, [scope])).toEqual([{ state: 'O' }]);
    const target = path.join(work, 'download-ds');
    const download = await cli.attempt('rucio', ['download', '--dir', target, ...files.map((f) => `${scope}:${f.name}`)]);
    expect(`${download.code}\n${download.stdout}\n${download.stderr}`).toMatch(/^0\n/);
    for (const f of files) expect(fs.readFileSync(path.join(target, scope, f.name)).equals(f.content)).toBe(true);
  }, STEP_TIMEOUT);
});
