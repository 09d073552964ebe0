/**
 * Storage reached with bearer tokens of its own audience, obtained by token exchange (RFC 8693) from a real OpenID
 * provider: a transfer to a WebDAV server that admits nothing else, and the replica-registrar's check of a file there.
 */
import axios from 'axios';
import { Readable } from 'node:stream';
import { deterministicPath, ReplicaState, RuleState } from '@tarn/domain';
import { ReplicaService } from '@tarn/core/replicas/replica.service.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { createStorage, type StorageProtocol, StorageMisconfigured, StoragePermissionDenied } from '@tarn/storage';
import { startBearerTokenProxy, type BearerTokenProxy } from '@tarn/testing/bearer-token-proxy.js';
import { createRse, type CreatedRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { TestOpenIdProvider } from '@tarn/testing/openid-provider.js';
import { createTestCollection, createTestDirectory, testWebDavServer, type TestStorageArea } from '@tarn/testing/storage.js';
import { ReplicaRegistrarWorker } from '../../apps/replica-registrar/src/replica-registrar.worker.js';
import { testRunner, type TestRunner } from '../daemons/support/rule-daemons-fixtures.js';
import { drive, makeContents, protocolOf, readAll, ruleState, seedDataset, transfersContext, type TransfersContext } from './support/transfer-fixtures.js';

const DAV_AUDIENCE = 'https://dav.site-b.example.org';
const SCOPE = 'storage.read:/ storage.modify:/';

describe('storage with tokens of its own audience (token exchange)', () => {
  let t: TransfersContext;
  let provider: TestOpenIdProvider;
  let proxy: BearerTokenProxy;
  let registrar: TestRunner;
  let collection: TestStorageArea & { url: string };
  let posixArea: TestStorageArea;
  let posix: { rse: CreatedRse; storage: StorageProtocol };
  let dav: CreatedRse;
  let direct: StorageProtocol;

  const davProtocol = (attributes: Record<string, unknown>) => ({
    scheme: 'dav',
    hostname: '127.0.0.1',
    port: Number(new URL(proxy.url).port),
    prefix: collection.protocol.prefix,
    extendedAttributes: attributes,
  });

  beforeAll(async () => {
    provider = await TestOpenIdProvider.start({ storageAudiences: [DAV_AUDIENCE] });
    // The daemons read Tarn's OIDC client from their environment, as a deployment sets it.
    Object.assign(process.env, provider.tarnEnv());
    t = await transfersContext();
    const server = testWebDavServer();
    [collection, posixArea] = await Promise.all([createTestCollection(), createTestDirectory()]);
    proxy = await startBearerTokenProxy({ upstream: server.url, username: server.username, password: server.password, issuer: provider.issuer, audience: DAV_AUDIENCE });
    direct = createStorage(collection.protocol);
    const posixStorage = createStorage(posixArea.protocol);
    posix = { rse: await createRse(t.db.dataSource, { rse: uniqueRseName('SRC'), protocols: [protocolOf(posixArea.protocol)] }), storage: posixStorage };
    dav = await createRse(t.db.dataSource, {
      rse: uniqueRseName('TOKEN_DAV'),
      protocols: [protocolOf(davProtocol({ token_audience: DAV_AUDIENCE, token_scope: SCOPE }), 'rucio.rse.protocols.webdav.Default')],
    });
    registrar = testRunner(
      t.db.dataSource,
      new ReplicaRegistrarWorker(t.moduleRef.get(ReplicaRegistrarService), null, { intervalMs: 60_000, batchSize: 50, concurrency: 4, leaseSeconds: 600 }),
    );
  });

  afterAll(async () => {
    await registrar?.stop();
    await Promise.all([direct?.close(), posix?.storage.close()]);
    await t?.close();
    await Promise.all([proxy?.close(), provider?.close(), collection?.drop(), posixArea?.drop()]);
  });

  it('copies a dataset to a WebDAV storage that admits only bearer tokens of its audience, with tokens obtained by exchange', async () => {
    const files = await makeContents(t.scope, 'tokens', [0, 1, 70_000, 1_500_000]);
    const ds = await seedDataset(t, 'tokens', files, [posix]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, dav.rse));
    await drive(t, async () => (await ruleState(t.db.dataSource, ruleId)).state === RuleState.OK);

    for (const f of files) expect((await readAll(direct, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
    expect(proxy.refused).toEqual([]);
    expect(proxy.admitted.length).toBeGreaterThanOrEqual(files.length);
    expect(new Set(proxy.admitted)).toEqual(new Set([DAV_AUDIENCE]));
    // One exchange served the whole transfer (the token is cached while it lives), by Tarn's own client, for that audience only.
    const { exchanges } = await provider.stats();
    expect(exchanges).toEqual([{ client: 'tarn-service', audience: DAV_AUDIENCE, subject: 'tarn-service' }]);
  });

  it("lets the replica-registrar verify a file announced on that storage, through the storage's tokens", async () => {
    const [file] = await makeContents(t.scope, 'announced', [4096]);
    await direct.write(deterministicPath(file.scope, file.name), Readable.from([file.content]));
    await t.db.dataSource.query(`INSERT INTO dids (scope, name, account, did_type, bytes, adler32) VALUES ($1, $2, $3, 'F', $4, $5)`, [
      file.scope,
      file.name,
      t.user.account,
      file.bytes,
      file.adler32,
    ]);
    await t.moduleRef.get(ReplicaService).addReplicas(t.user.issuer, dav.rse, [{ scope: file.scope, name: file.name, bytes: file.bytes, adler32: file.adler32 }]);
    const before = proxy.admitted.length;
    await registrar.runOnce();
    expect((await readReplicas(t.db.dataSource, file.scope, file.name)).find((r) => r.rseId === dav.id)?.state).toBe(ReplicaState.AVAILABLE);
    expect(proxy.admitted.length).toBeGreaterThan(before);
  });

  it('is refused by that storage with a token of another audience, or none', async () => {
    const tarnToken = (await provider.loginWithCode('jdoe', 'jdoe-secret')).access_token;
    const propfind = (headers: Record<string, string>) =>
      axios.request({ method: 'PROPFIND', url: `${proxy.url}${collection.protocol.prefix}`, headers: { Depth: '0', ...headers }, validateStatus: () => true });
    expect((await propfind({ Authorization: `Bearer ${tarnToken}` })).status).toBe(401);
    expect((await propfind({})).status).toBe(401);
    expect(proxy.refused).toEqual([`audience "https://tarn.example.org" is not ${DAV_AUDIENCE}`, 'no bearer token']);
  });

  it('never asks for a wildcard audience, and says so when the provider refuses an audience', async () => {
    for (const audience of ['https://wlcg.cern.ch/jwt/v1/any', '*']) {
      expect(() => createStorage(davProtocol({ token_audience: audience }), { rse: 'WILD' })).toThrow(StorageMisconfigured);
      expect(() => createStorage(davProtocol({ token_audience: audience }), { rse: 'WILD' })).toThrow(/admits a token at any storage: give the storage's own audience/);
    }
    const unknown = createStorage(davProtocol({ token_audience: 'https://unregistered.example.org' }), { rse: 'ELSEWHERE' });
    try {
      const attempt = unknown.stat('some/file');
      await expect(attempt).rejects.toThrow(StoragePermissionDenied);
      await expect(attempt).rejects.toThrow(/RSE ELSEWHERE.*no token for the storage audience 'https:\/\/unregistered.example.org'.*refused a token for the storage audience .*invalid_target/);
    } finally {
      await unknown.close();
    }
    const { exchanges } = await provider.stats();
    expect(exchanges.map((e) => e.audience)).not.toContain('https://wlcg.cern.ch/jwt/v1/any');
  });
});
