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
import { createTestXrootdArea } from '@tarn/testing/storage.js';

/**
 * The stock `rucio upload` and `rucio download` on an XRootD RSE (rucio.rse.protocols.xrootd.Default): the client
 * writes and reads with xrdcp and checks with xrdfs (Debian's xrootd-client on its PATH); the protocol's prefix
 * starts with '//', as Rucio's XRootD RSEs have it, so that its PFNs carry absolute paths. The registrar verifies
 * the upload with the server's own adler32.
 */
const STEP_TIMEOUT = 180_000;

describe('rucio upload and rucio download (stock client, XRootD RSE)', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const scope = 'user.jdoe';
  let db: TestDatabase;
  let api: TestApi;
  let cli: RucioClient;
  let registrar: ReplicaRegistrarService;
  let area: Awaited<ReturnType<typeof createTestXrootdArea>>;
  let work: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    registrar = api.app.get(ReplicaRegistrarService, { strict: false });
    await createAccount(db.dataSource, { account: 'root', admin: true });
    await createAccount(db.dataSource, { account: 'jdoe', password });
    await createScope(db.dataSource, { scope, account: 'jdoe' });
    area = await createTestXrootdArea();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-xrd-upload-work-'));
    await createRse(db.dataSource, {
      rse: 'XRD_A',
      protocols: [
        {
          scheme: 'root',
          hostname: area.protocol.hostname,
          port: area.protocol.port ?? 1094,
          prefix: `//${area.directory}/`,
          impl: 'rucio.rse.protocols.xrootd.Default',
          domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }, lan: { read: 1, write: 1, delete: 1 } },
        },
      ],
    });
    cli = await rucioClient(api.url, 'jdoe', password);
  }, STEP_TIMEOUT);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await area?.drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('uploads with xrdcp, is verified with the server checksum, and downloads byte for byte', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 3);
    const source = path.join(work, 'night-4711.raw');
    fs.writeFileSync(source, content);

    const upload = await cli.attempt('rucio', ['upload', '--rse', 'XRD_A', '--scope', scope, source]);
    expect(`${upload.code}\n${upload.stdout}\n${upload.stderr}`).toMatch(/^0\n/);
    expect(fs.readFileSync(path.join(area.server.files, area.directory, hashPath(scope, 'night-4711.raw'))).equals(content)).toBe(true);
    expect((await readReplicas(db.dataSource, scope, 'night-4711.raw'))[0].state).toBe(ReplicaState.COPYING);

    expect(await registrar.verifyDue()).toMatchObject({ checked: 1, available: 1, bad: 0 });
    expect((await readReplicas(db.dataSource, scope, 'night-4711.raw'))[0].state).toBe(ReplicaState.AVAILABLE);

    const listed = await cli.run('rucio', ['replica', 'list', 'file', `${scope}:night-4711.raw`, '--pfns']);
    expect(listed.stdout).toContain(`root://127.0.0.1:${area.protocol.port}//${area.directory}/${hashPath(scope, 'night-4711.raw')}`);

    const target = path.join(work, 'download');
    const download = await cli.attempt('rucio', ['download', '--dir', target, `${scope}:night-4711.raw`]);
    expect(`${download.code}\n${download.stdout}\n${download.stderr}`).toMatch(/^0\n/);
    expect(fs.readFileSync(path.join(target, scope, 'night-4711.raw')).equals(content)).toBe(true);
  }, STEP_TIMEOUT);
});
