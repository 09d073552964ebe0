/**
 * Helpers for tests against the real S3, WebDAV and XRootD servers (started by scripts/services/s3.sh, webdav.sh
 * and xrootd.sh, found through TARN_TEST_S3_*, TARN_TEST_WEBDAV_* and TARN_TEST_XROOTD_*, see
 * test/services/storage.cjs) and local directories. Each call gives a fresh bucket, collection or directory,
 * and a `drop()` that removes it with its content.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import axios from 'axios';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ChecksumSet } from '@tarn/checksums';
import type { StorageProtocolConfig } from '@tarn/storage';
import { inParallel } from './in-parallel.js';

export interface TestS3Server {
  endpointUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface TestWebDavServer {
  url: string;
  username: string;
  password: string;
}

export function testS3Server(): TestS3Server {
  return {
    endpointUrl: (process.env.TARN_TEST_S3_ENDPOINT || `http://127.0.0.1:${process.env.TARN_TEST_S3_PORT || 9000}`).replace(/\/+$/, ''),
    accessKeyId: process.env.TARN_TEST_S3_ACCESS_KEY || 'tarn-test',
    secretAccessKey: process.env.TARN_TEST_S3_SECRET_KEY || 'tarn-test-secret',
    region: 'us-east-1',
  };
}

export function testWebDavServer(): TestWebDavServer {
  return {
    url: (process.env.TARN_TEST_WEBDAV_URL || `http://127.0.0.1:${process.env.TARN_TEST_WEBDAV_PORT || 8090}`).replace(/\/+$/, ''),
    username: process.env.TARN_TEST_WEBDAV_USER || 'tarn-test',
    password: process.env.TARN_TEST_WEBDAV_PASSWORD || 'tarn-test-secret',
  };
}

/** The two XRootD servers of scripts/services/xrootd.sh: root:// URLs, HTTP doors, data directories, logs. */
export interface TestXrootdServer {
  url: string;
  httpUrl: string;
  /** The directory the server exports (on this host), for checks behind its back. */
  files: string;
  log: string;
}

export function testXrootdServers(): { a: TestXrootdServer; b: TestXrootdServer; caDir: string } {
  const env = process.env;
  const base = env.TARN_TEST_XROOTD_DATA || (process.getuid?.() === 0 ? '/var/tmp/tarn/xrootd' : `${env.HOME}/.cache/tarn/xrootd`);
  const server = (port: string, httpPort: string): TestXrootdServer => ({
    url: `root://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    files: `${base}/${port}/files`,
    log: `${base}/${port}/xrootd.log`,
  });
  return {
    a: server(env.TARN_TEST_XROOTD_PORT || '1094', env.TARN_TEST_XROOTD_HTTP_PORT || '8094'),
    b: server(env.TARN_TEST_XROOTD_PORT_B || '1095', env.TARN_TEST_XROOTD_HTTP_PORT_B || '8095'),
    caDir: `${base}/tls/ca`,
  };
}

/**
 * What an XRootD server of scripts/services/xrootd.sh has logged, oldest first: its log and the days it rotated
 * away (the server renames its log at midnight), so that a test across midnight reads all of it.
 */
export async function readXrootdLog(server: TestXrootdServer): Promise<string> {
  const directory = dirname(server.log);
  for (let attempt = 1; ; attempt++) {
    const names = (await readdir(directory)).filter((n) => n.startsWith(basename(server.log)));
    if (names.length === 0) throw new Error(`no log of the XRootD server ${server.url} in ${directory} (files there: ${(await readdir(directory)).join(', ')})`);
    try {
      const logs = await Promise.all(
        names.map((n) => join(directory, n)).map(async (path) => ({ text: await readFile(path, 'utf8'), modified: (await stat(path)).mtimeMs })),
      );
      return logs.sort((x, y) => x.modified - y.modified).map((l) => l.text).join('');
    } catch (error) {
      // Renamed between the listing and the read: list again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 3) throw error;
    }
  }
}

/** Puts bytes at `path` (absolute on the server) with xrdcp, behind Tarn's back. */
export function xrdcpPut(serverUrl: string, path: string, data: Buffer): void {
  const done = spawnSync('xrdcp', ['--force', '--nopbar', '-', `${serverUrl}/${path}`], { input: data });
  if (done.status !== 0) throw new Error(`xrdcp to ${serverUrl}/${path} failed: ${done.stderr?.toString() ?? done.error}`);
}

/**
 * A new directory on an XRootD server of scripts/services/xrootd.sh (A unless `which` is 'b'); `drop()` removes it
 * on the server's disk (the servers run on this host).
 */
export async function createTestXrootdArea(
  which: 'a' | 'b' = 'a',
): Promise<TestStorageArea & { server: TestXrootdServer; directory: string; httpProtocol: StorageProtocolConfig }> {
  const server = testXrootdServers()[which];
  const directory = uniqueStorageName('xrd');
  const url = new URL(server.url.replace(/^root:/, 'http:'));
  const http = new URL(server.httpUrl);
  return {
    server,
    directory,
    protocol: { scheme: 'root', hostname: url.hostname, port: Number(url.port), prefix: `/${directory}/`, extendedAttributes: null },
    /** The same directory through the server's HTTP/WebDAV door (which takes HTTP-TPC COPY). */
    httpProtocol: { scheme: 'dav', hostname: http.hostname, port: Number(http.port), prefix: `/${directory}/`, extendedAttributes: null },
    async drop() {
      await rm(join(server.files, directory), { recursive: true, force: true });
    },
  };
}

/** A short unique name for this test file's bucket, collection or directory. */
export function uniqueStorageName(kind: string): string {
  return `tarn-test-${kind}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export interface TestStorageArea {
  /** The RSE protocol that reaches it, for createStorage(). */
  protocol: StorageProtocolConfig;
  drop(): Promise<void>;
}

export function createTestS3Client(server: TestS3Server = testS3Server()): S3Client {
  return new S3Client({
    endpoint: server.endpointUrl,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A new bucket on the test S3 server; the protocol's prefix is `/<bucket>/data/` (a key prefix under it). */
export async function createTestBucket(): Promise<TestStorageArea & { bucket: string; client: S3Client }> {
  const server = testS3Server();
  const client = createTestS3Client(server);
  const bucket = uniqueStorageName('s3');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const url = new URL(server.endpointUrl);
  return {
    bucket,
    client,
    protocol: {
      scheme: url.protocol === 'https:' ? 's3+https' : 's3+http',
      hostname: url.hostname,
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      prefix: `/${bucket}/data/`,
      extendedAttributes: { access_key_id: server.accessKeyId, secret_access_key: server.secretAccessKey, region: server.region },
    },
    async drop() {
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
        // Object by object (16 at once): DeleteObjects needs a Content-MD5 that the SDK no longer sends, and few
        // servers take its CRC32.
        await inParallel(page.Contents ?? [], 16, (object) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key })));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      client.destroy();
    },
  };
}

/** A new collection on the test WebDAV server. */
export async function createTestCollection(): Promise<TestStorageArea & { url: string }> {
  const server = testWebDavServer();
  const name = uniqueStorageName('dav');
  const url = `${server.url}/${name}/`;
  const auth = { username: server.username, password: server.password };
  const created = await axios.request({ method: 'MKCOL', url, auth, validateStatus: () => true });
  if (created.status !== 201) throw new Error(`MKCOL ${url} answered ${created.status} ${created.statusText}`);
  const parsed = new URL(url);
  return {
    url,
    protocol: {
      scheme: parsed.protocol === 'https:' ? 'davs' : 'dav',
      hostname: parsed.hostname,
      port: Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80),
      prefix: parsed.pathname,
      extendedAttributes: { username: server.username, password: server.password },
    },
    async drop() {
      await axios.request({ method: 'DELETE', url, auth, validateStatus: () => true });
    },
  };
}

/** A new directory under the system's temporary directory. */
export async function createTestDirectory(): Promise<TestStorageArea & { root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'tarn-test-posix-'));
  return {
    root,
    protocol: { scheme: 'file', hostname: 'localhost', port: null, prefix: root, extendedAttributes: null },
    async drop() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Every byte of a stream. */
export async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Rucio's adler32 (8 hex digits) of some bytes. */
export async function adler32Of(data: Buffer): Promise<string> {
  const set = await ChecksumSet.create(['adler32']);
  set.update(data);
  return set.result().adler32 as string;
}
