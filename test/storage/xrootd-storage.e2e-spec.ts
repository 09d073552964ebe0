/**
 * What only XRootD storage has to get right: the server's checksums, TLS, one client session for many files; and
 * its HTTP door, which does not decode the Destination of a MOVE.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { readdir } from 'node:fs/promises';
import {
  InvalidStoragePath,
  UnsupportedStorageOperation,
  StorageMisconfigured,
  StorageUnavailable,
  XrootdStorage,
  createStorage,
} from '@tarn/storage';
import { adler32Of, createTestXrootdArea, readStream, testXrootdServers } from '@tarn/testing/storage.js';

/** Child processes of this process running the XRootD client session. */
function sessionProcesses(): number {
  const out = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)]).toString();
  return out.split('\n').filter((line) => line.includes('tarn-xrootd-session')).length;
}

describe('xrootd storage', () => {
  let area: Awaited<ReturnType<typeof createTestXrootdArea>>;
  let storage: XrootdStorage;

  beforeAll(async () => {
    area = await createTestXrootdArea();
    storage = createStorage(area.protocol, { rse: 'XRD_ONE' }) as XrootdStorage;
  });

  afterAll(async () => {
    await storage?.close();
    await area?.drop();
  });

  test("stat gives the server's own adler32 of the file, which matches its bytes", async () => {
    const data = randomBytes(300_000);
    await storage.write('sums/file.bin', Readable.from([data]));
    const stat = await storage.stat('sums/file.bin');
    expect(stat).toEqual({ bytes: data.length, mtime: expect.any(Date), checksums: { adler32: await adler32Of(data) } });
    expect(await readFile(join(area.server.files, area.directory, 'sums/file.bin'))).toEqual(data);
  });

  test('one client session serves many files: no process per file', async () => {
    const before = storage.sessionInfo;
    const files = Array.from({ length: 200 }, (_, i) => [`many/f${i}.bin`, randomBytes(1000 + i)] as const);
    await Promise.all(files.map(([path, data]) => storage.write(path, Readable.from([data]), { bytes: data.length })));
    const back = await Promise.all(files.map(async ([path]) => readStream(await storage.read(path))));
    back.forEach((data, i) => expect(data.equals(files[i][1])).toBe(true));
    const listed = [];
    for await (const entry of storage.list('many')) listed.push(entry.path);
    expect(listed).toHaveLength(200);
    const after = storage.sessionInfo;
    expect(after.processes).toBe(before.processes === 0 ? 1 : before.processes);
    expect(sessionProcesses()).toBe(1);
    // open, writes, close, stat, rename per written file; open, read, close per read file
    expect(after.calls - before.calls).toBeLessThan(200 * 10);
  });

  test('listings come in pages and stop early without leaking the walk', async () => {
    const paged = createStorage(area.protocol, { rse: 'XRD_ONE', tuning: { xrootd: { listPage: 7 } } });
    try {
      const all = [];
      for await (const entry of paged.list('many')) all.push(entry.path);
      expect(new Set(all).size).toBe(200);
      let seen = 0;
      for await (const entry of paged.list('many')) {
        void entry;
        if (++seen === 10) break;
      }
      expect(seen).toBe(10);
    } finally {
      await paged.close();
    }
  });

  test("a '?' in a path is refused: XRootD would take the rest as opaque parameters", async () => {
    await expect(storage.stat('a?b.txt')).rejects.toBeInstanceOf(InvalidStoragePath);
    await expect(storage.write('dir?x/b.txt', Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidStoragePath);
  });

  test('roots:// speaks TLS, trusting the CA of X509_CERT_DIR; an unknown CA is refused', async () => {
    const { caDir } = testXrootdServers();
    const tls = createStorage({ ...area.protocol, scheme: 'roots' }, { rse: 'XRD_TLS', tuning: { xrootd: { env: { X509_CERT_DIR: caDir } } } });
    const untrusted = createStorage({ ...area.protocol, scheme: 'roots' }, { rse: 'XRD_TLS', tuning: { xrootd: { env: { X509_CERT_DIR: '/nonexistent' } } } });
    try {
      expect(tls.endpoint).toMatch(/^roots:\/\/127\.0\.0\.1:\d+\/\//);
      await tls.write('tls/secret.bin', Readable.from([Buffer.from('over TLS')]));
      expect((await readStream(await tls.read('tls/secret.bin'))).toString()).toBe('over TLS');
      const error = await untrusted.stat('tls/secret.bin').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('XRD_TLS');
      expect((error as Error).message).toContain(untrusted.endpoint);
    } finally {
      await tls.close();
      await untrusted.close();
    }
  });

  test('a session killed mid-read fails that read as transient; the next call starts a new session', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const small = createStorage(area.protocol, { rse: 'XRD_KILL', tuning: { xrootd: { chunkBytes: 64 * 1024, env: { TARN_TEST_SESSION: 'kill' } } } }) as XrootdStorage;
    try {
      await small.write('kill/big.bin', Readable.from([data]));
      const stream = await small.read('kill/big.bin');
      const failure = new Promise<unknown>((resolve) => stream.once('error', resolve));
      stream.once('data', () => process.kill(small.sessionInfo.pid!, 'SIGKILL'));
      stream.resume();
      const error = await failure;
      expect(error).toBeInstanceOf(StorageUnavailable);
      expect((error as StorageUnavailable).transient).toBe(true);
      expect((error as Error).message).toContain("'kill/big.bin'");
      expect((await small.stat('kill/big.bin')).bytes).toBe(data.length);
      expect(small.sessionInfo.processes).toBe(2);
    } finally {
      await small.close();
    }
  });

  test('a host without the XRootD client library gets a misconfiguration naming what to install', async () => {
    const broken = createStorage(area.protocol, { rse: 'XRD_NOLIB', tuning: { xrootd: { env: { TARN_XROOTD_PYTHON: '/nonexistent/python3' } } } });
    try {
      const error = await broken.stat('x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageMisconfigured);
      expect((error as Error).message).toMatch(/python3-xrootd|XRootD client library/);
    } finally {
      await broken.close();
    }
  });
  test("its HTTP door: a name that needs escaping is refused, as its MOVE would put it elsewhere; nothing is left, and the next is refused before a byte is sent", async () => {
    const dav = createStorage(area.httpProtocol, { rse: 'XRD_DAV' });
    try {
      await dav.write('door/plain.bin', Readable.from([Buffer.from('plain')]));
      expect((await readFile(join(area.server.files, area.directory, 'door/plain.bin'))).toString()).toBe('plain');
      const refused = await dav.write('door/night 1.fits', Readable.from([Buffer.from('frame')])).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(UnsupportedStorageOperation);
      expect((refused as Error).message).toMatch(/does not decode the Destination of a MOVE.*'door\/night 1\.fits'.*root:\/\//);
      expect((await readdir(join(area.server.files, area.directory, 'door'))).sort()).toEqual(['plain.bin']);
      let read = false;
      const next = await dav.write('door/ü.fits', new Readable({ read() { read = true; this.push(null); } })).catch((e: unknown) => e);
      expect(next).toBeInstanceOf(UnsupportedStorageOperation);
      expect(read).toBe(false);
      // Through root:// the same names are written where they belong, and the HTTP door reads them.
      await storage.write('door/night 1.fits', Readable.from([Buffer.from('frame')]));
      expect((await readStream(await dav.read('door/night 1.fits'))).toString()).toBe('frame');
    } finally {
      await dav.close();
    }
  });
});
