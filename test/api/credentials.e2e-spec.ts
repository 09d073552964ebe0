import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import axios from 'axios';
import request from 'supertest';
import { hashPath, lfn2pfn } from '@tarn/domain';
import { AuthenticationService } from '@tarn/core';
import { rucioClient, startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createFiles } from '@tarn/testing/factories/did.factory.js';
import { createTestBucket, type TestStorageArea } from '@tarn/testing/storage.js';

/**
 * GET /credentials/signurl (Rucio get_signed_url) against the real S3 server: the URLs it signs work with a plain
 * HTTP client, and who may sign what follows from the DID the URL stands for.
 */
const PASSWORD = 'secret-signurl-tests';
const DOMAINS = { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } };

describe('GET /credentials/signurl', () => {
  let db: TestDatabase;
  let api: TestApi;
  let bucket: TestStorageArea & { bucket: string };
  let s3Protocol: { scheme: string; hostname: string; port: number; prefix: string };
  const tokens: Record<string, string> = {};

  const sign = (account: string, query: Record<string, string | number>) =>
    request(api.url)
      .get('/credentials/signurl')
      .query(query)
      .set('X-Rucio-Auth-Token', tokens[account]);
  const pfn = (scope: string, name: string) => lfn2pfn(s3Protocol, scope, name);
  const plain = (url: string, method: 'GET' | 'PUT', data?: Buffer) =>
    axios.request({ url, method, data, responseType: 'arraybuffer', validateStatus: () => true, headers: data ? { 'Content-Type': 'application/octet-stream' } : {} });

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    bucket = await createTestBucket();
    s3Protocol = { ...bucket.protocol, port: bucket.protocol.port ?? 9000 };
    await createAccount(db.dataSource, { account: 'root', admin: true, password: PASSWORD });
    for (const account of ['jdoe', 'mallory']) {
      await createAccount(db.dataSource, { account, password: PASSWORD });
      await createScope(db.dataSource, { scope: `user.${account}`, account });
    }
    await createScope(db.dataSource, { scope: 'embargo.jdoe', account: 'jdoe', restricted: true });
    for (const account of ['root', 'jdoe', 'mallory']) {
      tokens[account] = (await api.app.get(AuthenticationService).authenticateUserpass(account, account, PASSWORD)).token;
    }
    await createRse(db.dataSource, { rse: 'S3_DISK', protocols: [{ ...s3Protocol, impl: 'rucio.rse.protocols.s3.Default', domains: DOMAINS }] });
    await createRse(db.dataSource, { rse: 'S3_TAPE', availabilityWrite: false, protocols: [{ ...s3Protocol, impl: 'rucio.rse.protocols.s3.Default', domains: DOMAINS }] });
    await createRse(db.dataSource, { rse: 'POSIX_DISK', protocols: [{ scheme: 'file', hostname: 'localhost', port: 0, prefix: os.tmpdir(), impl: 'rucio.rse.protocols.posix.Default', domains: DOMAINS }] });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await bucket?.drop();
  });

  it('signs a PUT then a GET of a new file of the issuer (lfn2pfn path) that work through plain HTTP', async () => {
    const content = randomBytes(64 * 1024);
    const url = pfn('user.jdoe', 'night.4711.raw');
    const put = await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'write', lifetime: 300, url }).expect(200);
    expect(put.headers['content-type']).toMatch(/^text\/plain/);
    expect(put.text).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/${bucket.bucket}/data/${hashPath('user.jdoe', 'night.4711.raw').replace(/\./g, '\\.')}\\?.*X-Amz-Signature=`));
    expect((await plain(put.text, 'PUT', content)).status).toBe(200);

    const get = await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'read', url }).expect(200);
    const fetched = await plain(get.text, 'GET');
    expect(fetched.status).toBe(200);
    expect(Buffer.from(fetched.data).equals(content)).toBe(true);
    // Without the signature the object is not readable.
    expect((await plain(get.text.split('?')[0], 'GET')).status).toBe(403);
    // The plain path-style S3 URL of the same object is accepted too.
    const pathStyle = url.replace(/^s3\+http:/, 'http:');
    expect((await plain((await sign('mallory', { rse: 'S3_DISK', svc: 's3', op: 'read', url: pathStyle }).expect(200)).text, 'GET')).status).toBe(200);
  });

  it('answers 404 with the RSE named for an unknown RSE', async () => {
    const response = await sign('jdoe', { rse: 'NO_SUCH_RSE', svc: 's3', op: 'read', url: pfn('user.jdoe', 'x') }).expect(404);
    expect(response.body.ExceptionClass).toBe('RSENotFound');
    expect(response.body.ExceptionMessage).toMatch(/RSE 'NO_SUCH_RSE' not found/);
  });

  it('signs writes for accounts that may write in the scope only, reads for those who may read it', async () => {
    const url = pfn('user.jdoe', 'not.yours');
    const refused = await sign('mallory', { rse: 'S3_DISK', svc: 's3', op: 'write', url }).expect(401);
    expect(refused.body.ExceptionClass).toBe('AccessDenied');
    expect(refused.body.ExceptionMessage).toMatch(/may not write in scope 'user\.jdoe'/);
    await sign('mallory', { rse: 'S3_DISK', svc: 's3', op: 'read', url }).expect(200);
    await sign('root', { rse: 'S3_DISK', svc: 's3', op: 'write', url }).expect(200);

    const embargoed = pfn('embargo.jdoe', 'secret.dat');
    expect((await sign('mallory', { rse: 'S3_DISK', svc: 's3', op: 'read', url: embargoed }).expect(401)).body.ExceptionMessage).toMatch(/restricted/);
    await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'read', url: embargoed }).expect(200);

    const blocked = await sign('jdoe', { rse: 'S3_TAPE', svc: 's3', op: 'write', url }).expect(409);
    expect(blocked.body.ExceptionClass).toBe('RSEWriteBlocked');
  });

  it('leaves paths no DID can be derived from to administrators', async () => {
    const url = `${s3Protocol.scheme}://${s3Protocol.hostname}:${s3Protocol.port}/${bucket.bucket}/data/loose/notes.txt`;
    const refused = await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'read', url }).expect(401);
    expect(refused.body.ExceptionMessage).toMatch(/no DID has this path on RSE 'S3_DISK'.*only administrators/);
    const signed = await sign('root', { rse: 'S3_DISK', svc: 's3', op: 'write', url }).expect(200);
    expect((await plain(signed.text, 'PUT', Buffer.from('hello'))).status).toBe(200);
  });

  it('derives the DID on a non-deterministic RSE from the replica registered at the path', async () => {
    await createRse(db.dataSource, {
      rse: 'S3_ND',
      deterministic: false,
      protocols: [{ ...s3Protocol, prefix: `/${bucket.bucket}/nd/`, impl: 'rucio.rse.protocols.s3.Default', domains: DOMAINS }],
    });
    const [rse] = await db.dataSource.query(`SELECT id FROM rses WHERE rse = 'S3_ND'`);
    const [file] = await createFiles(db.dataSource, { scope: 'user.jdoe', account: 'jdoe', prefix: 'nd' });
    await createReplicas(db.dataSource, { rseId: rse.id, files: [file], path: 'runs/2024/nd.dat' });
    const url = `s3+http://${s3Protocol.hostname}:${s3Protocol.port}/${bucket.bucket}/nd/runs/2024/nd.dat`;
    await sign('jdoe', { rse: 'S3_ND', svc: 's3', op: 'write', url }).expect(200);
    await sign('mallory', { rse: 'S3_ND', svc: 's3', op: 'write', url }).expect(401);
    await sign('jdoe', { rse: 'S3_ND', svc: 's3', op: 'write', url: url.replace('nd.dat', 'other.dat') }).expect(401);
  });

  it('refuses what it cannot sign, saying what to do instead', async () => {
    const url = pfn('user.jdoe', 'x');
    const gcs = await sign('jdoe', { rse: 'S3_DISK', op: 'read', url }).expect(400);
    expect(gcs.body).toMatchObject({ ExceptionClass: 'UnsupportedOperation' });
    expect(gcs.body.ExceptionMessage).toMatch(/S3 storage only.*Google Cloud Storage.*svc=s3/);
    expect((await sign('jdoe', { rse: 'S3_DISK', svc: 'swift', url }).expect(400)).body.ExceptionMessage).toMatch(/OpenStack Swift/);
    expect((await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'delete', url }).expect(400)).body.ExceptionMessage).toMatch(/does not sign deletions/);
    expect((await sign('jdoe', { rse: 'POSIX_DISK', svc: 's3', url }).expect(400)).body.ExceptionMessage).toMatch(/has no S3 protocol/);
    expect((await sign('jdoe', { rse: 'S3_DISK', svc: 's3', url: 's3+http://elsewhere:9000/b/x' }).expect(400)).body.ExceptionMessage).toMatch(
      /not under any S3 protocol of RSE 'S3_DISK'/,
    );
    expect((await sign('jdoe', { rse: 'S3_DISK', svc: 's3', url, lifetime: 700_000 }).expect(400)).body.ExceptionMessage).toMatch(/lifetime/);
    expect((await sign('jdoe', { rse: 'S3_DISK', svc: 's3' }).expect(400)).body.ExceptionMessage).toMatch(/Parameter "url" not found/);
  });

  it('serves the stock client (CredentialClient.get_signed_url)', async () => {
    const content = Buffer.from(`stock client ${randomBytes(8).toString('hex')}`);
    const url = pfn('user.jdoe', 'via.client');
    expect((await plain((await sign('jdoe', { rse: 'S3_DISK', svc: 's3', op: 'write', url }).expect(200)).text, 'PUT', content)).status).toBe(200);
    const client = await rucioClient(api.url, 'jdoe', PASSWORD);
    const script = "import sys\nfrom rucio.client import Client\nprint(Client().get_signed_url(sys.argv[1], 's3', 'read', sys.argv[2], 120))";
    const signed = (await client.python(script, ['S3_DISK', url])).trim();
    const fetched = await plain(signed, 'GET');
    expect(fetched.status).toBe(200);
    expect(Buffer.from(fetched.data).equals(content)).toBe(true);
  }, 120_000);
});
