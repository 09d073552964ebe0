/** What only WebDAV storage has to get right: credentials, collections made on the way, MOVE into place. */
import axios from 'axios';
import { Readable } from 'node:stream';
import { StoragePermissionDenied, WebDavStorage, createStorage } from '@tarn/storage';
import { createTestCollection, testWebDavServer } from '@tarn/testing/storage.js';

describe('webdav storage', () => {
  let area: Awaited<ReturnType<typeof createTestCollection>>;
  let storage: WebDavStorage;

  beforeAll(async () => {
    area = await createTestCollection();
    storage = createStorage(area.protocol, { rse: 'DAV_ONE' }) as WebDavStorage;
  });

  afterAll(async () => {
    await storage?.close();
    await area?.drop();
  });

  test('writes create the missing collections, which the server then lists as collections', async () => {
    await storage.write('a/b/c/file.txt', Readable.from([Buffer.from('x')]));
    const server = testWebDavServer();
    const response = await axios.request({
      method: 'PROPFIND',
      url: `${area.url}a/b/c/`,
      headers: { Depth: '0' },
      auth: { username: server.username, password: server.password },
      validateStatus: () => true,
    });
    expect(response.status).toBe(207);
    expect(String(response.data)).toMatch(/<D:collection/);
  });

  test('a wrong password is StoragePermissionDenied, for reads, writes and listings', async () => {
    const bad = createStorage(
      { ...area.protocol, extendedAttributes: { ...area.protocol.extendedAttributes, password: 'wrong' } },
      { rse: 'DAV_BAD' },
    );
    try {
      for (const attempt of [
        () => bad.stat('a/b/c/file.txt'),
        () => bad.read('a/b/c/file.txt'),
        () => bad.write('x/y.txt', Readable.from([Buffer.from('x')])),
        async () => {
          for await (const entry of bad.list('')) void entry;
        },
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoragePermissionDenied);
        expect((error as Error).message).toContain('401');
        expect((error as Error).message).toContain('DAV_BAD');
      }
    } finally {
      await bad.close();
    }
  });

  test('credentials can come from the environment, per RSE', async () => {
    const fromEnv = createStorage(
      { ...area.protocol, extendedAttributes: {} },
      {
        rse: 'dav-env.1',
        env: { TARN_WEBDAV_DAV_ENV_1_USERNAME: testWebDavServer().username, TARN_WEBDAV_PASSWORD: testWebDavServer().password },
      },
    );
    try {
      expect((await fromEnv.stat('a/b/c/file.txt')).bytes).toBe(1);
    } finally {
      await fromEnv.close();
    }
  });

  test('a collection the server holds locked for a moment (423, as when copies into one directory run at once) is made once it is free', async () => {
    const server = testWebDavServer();
    const auth = { username: server.username, password: server.password };
    await storage.write('held/first.txt', Readable.from([Buffer.from('x')]));
    const lock = await axios.request({
      method: 'LOCK',
      url: `${area.url}held/`,
      headers: { Depth: 'infinity', Timeout: 'Second-30', 'Content-Type': 'application/xml' },
      data: '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>',
      auth,
      validateStatus: () => true,
    });
    expect(lock.status).toBe(200);
    const unlock = () => axios.request({ method: 'UNLOCK', url: `${area.url}held/`, headers: { 'Lock-Token': lock.headers['lock-token'] }, auth });
    const released = new Promise((resolve) => setTimeout(resolve, 60)).then(unlock);
    await storage.write('held/sub/second.txt', Readable.from([Buffer.from('yz')]));
    await released;
    expect((await storage.stat('held/sub/second.txt')).bytes).toBe(2);
  });
});
