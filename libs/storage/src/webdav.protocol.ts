import axios, { AxiosInstance, AxiosResponse, Method } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable, pipeline } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StorageBase } from './storage-base.js';
import {
  ChecksumMismatch,
  NotFoundOnStorage,
  StorageFull,
  StorageMisconfigured,
  StorageOperationFailed,
  StoragePermissionDenied,
  StorageUnavailable,
  UnsupportedStorageOperation,
  isStorageError,
} from './storage.errors.js';
import { isTemporaryName, storagePathProblem, temporaryName } from './storage-path.js';
import type {
  CopyFromOptions,
  DeleteResult,
  NoStorageSideCopy,
  StorageSideCopy,
  ReadOptions,
  SpaceUsage,
  ListOptions,
  StorageEntry,
  StorageProtocol,
  StorageStat,
  WriteOptions,
  WriteResult,
} from './storage-protocol.js';
import { skipBytes, withMappedErrors } from './readable-errors.js';
import { networkErrorCode } from './error-codes.js';
import { messageOf, sourceFailure, taggedSource } from './source-stream.js';
import { VerifyingTransform } from './verifying.transform.js';
import { WANT_DIGEST, parseDigestHeader } from './webdav-digest.js';
import { DavResource, parseMultistatus } from './webdav-multistatus.js';
import { readTpcOutcome, refusesHttpTpc } from './webdav-tpc.js';
import { type StorageTokenSource, StorageTokenError } from './storage-tokens.js';

export interface WebDavStorageOptions {
  /** The collection that is the protocol prefix, e.g. `https://dav.example.org:2880/data/rse1/`. */
  baseUrl: string;
  username?: string;
  password?: string;
  /** Sent as `Authorization: Bearer <token>` (tokens from an IAM service), instead of basic authentication. */
  bearerToken?: string;
  /** Bearer tokens obtained for the storage's own audience (token exchange), renewed as they expire. */
  tokens?: { source: StorageTokenSource; audience: string; scope?: string };
  rse?: string;
  /** PROPFINDs in flight while walking a listing (default 4). */
  listConcurrency?: number;
  /** A connection idle this long fails the request (default 120 s). */
  idleTimeoutMs?: number;
}

/** How often a MKCOL answered 423 Locked is asked again (waits of about 20, 40, 80, 160, 320 ms). */
const MKCOL_LOCKED_RETRIES = 5;
const PROPFIND_FILE = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/></D:prop></D:propfind>`;
const PROPFIND_QUOTA = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`;


/** Files under a WebDAV collection (plain HTTP(S) with WebDAV methods), through axios. */
export class WebDavStorage extends StorageBase implements StorageProtocol {
  readonly protocol = 'webdav' as const;
  private readonly base: URL;
  private readonly http: AxiosInstance;
  private readonly listConcurrency: number;
  /** Collections known to exist, so that writes into the same directory do not MKCOL again. */
  private readonly collections = new Set<string>();
  private readonly tokens: WebDavStorageOptions['tokens'];
  private readonly bearerToken: string | undefined;
  private readonly hasPassword: boolean;
  /** This server answered an HTTP-TPC COPY as something it does not do: why, and until when to believe it. */
  private tpcRefusal: { why: string; until: number } | undefined;
  /**
   * Whether the server decodes the Destination of a MOVE as it decodes request paths: learnt from the first name
   * that needs escaping (XRootD's HTTP door 5.5 does not, and would put `a b` at the literal name `a%20b`).
   */
  private moveDecodes: boolean | undefined;

  constructor(options: WebDavStorageOptions) {
    const base = new URL(options.baseUrl);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.username = '';
    base.password = '';
    super(base.toString(), options.rse);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new StorageMisconfigured(this.location(), `the URL must be http or https, not ${base.protocol}`);
    }
    this.base = base;
    this.listConcurrency = options.listConcurrency ?? 4;
    this.tokens = options.tokens;
    this.bearerToken = options.tokens ? undefined : options.bearerToken;
    this.hasPassword = !options.bearerToken && !options.tokens && options.username !== undefined;
    const headers: Record<string, string> = {};
    if (options.bearerToken && !options.tokens) headers.Authorization = `Bearer ${options.bearerToken}`;
    const bearer = Boolean(options.bearerToken || options.tokens);
    this.http = axios.create({
      headers,
      auth: !bearer && options.username !== undefined ? { username: options.username, password: options.password ?? '' } : undefined,
      // In Node, axios' timeout is the socket's idle time, not the whole transfer's.
      timeout: options.idleTimeoutMs ?? 120_000,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      maxRedirects: 5,
      validateStatus: () => true,
      decompress: false,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 32 }),
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.stat(path);
      return true;
    } catch (error) {
      if (error instanceof NotFoundOnStorage) return false;
      throw error;
    }
  }

  async stat(path: string): Promise<StorageStat> {
    const url = this.fileUrl(path);
    // PROPFIND says what is there (a collection is no file); HEAD with Want-Digest fetches checksums.
    const [found, head] = await Promise.all([
      this.propfind(url, '0', PROPFIND_FILE, 'stat', path),
      this.request('HEAD', url, 'stat', path, { headers: { 'Want-Digest': WANT_DIGEST } }).catch(() => undefined),
    ]);
    const resource = found?.[0];
    if (!resource || resource.collection) throw new NotFoundOnStorage(this.location(path));
    const checksums = head && head.status < 300 ? parseDigestHeader(headerOf(head, 'digest')) : {};
    return {
      bytes: resource.bytes ?? Number(headerOf(head, 'content-length') ?? 0),
      mtime: resource.mtime ?? new Date(0),
      ...(Object.keys(checksums).length > 0 ? { checksums } : {}),
    };
  }

  async read(path: string, options: ReadOptions = {}): Promise<Readable> {
    const url = this.fileUrl(path);
    const offset = options.offset ?? 0;
    const response = await this.request('GET', url, 'read', path, {
      responseType: 'stream',
      headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
    });
    const body = response.data as Readable;
    const map = (error: unknown) => this.mapError(error, 'read', path);
    if (response.status === 206) return withMappedErrors(body, map);
    if (response.status === 200) return offset > 0 ? withMappedErrors(body, map, skipBytes(offset)) : withMappedErrors(body, map);
    body.resume(); // drain so that the connection can be reused
    if (response.status === 416) {
      await this.stat(path);
      return Readable.from([]);
    }
    throw this.statusError(response, 'read', path);
  }

  async write(path: string, source: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const segments = this.fileSegments(path);
    this.assertMovable(segments, path);
    const directory = segments.slice(0, -1);
    const finalUrl = this.fileUrl(path);
    const verifier = new VerifyingTransform(options, options.algorithms ?? [], (m) => new ChecksumMismatch(this.location(path), m), true);
    const body = pipeline(taggedSource(source), verifier, () => undefined) as Readable;
    let temporaryUrl: string | undefined;
    let uploaded = false;
    try {
      await this.ensureCollection(directory, path);
      temporaryUrl = this.urlOf([...directory, temporaryName()], false);
      const put = await this.request('PUT', temporaryUrl, 'write', path, {
        data: body,
        headers: {
          'Content-Type': 'application/octet-stream',
          ...(options.bytes !== undefined ? { 'Content-Length': String(options.bytes) } : {}),
        },
        maxRedirects: 0, // a redirected PUT would need the body again
      });
      if (put.status === 404 || put.status === 409) {
        // The parent collection is gone (removed behind our back?): forget it, so that the next write makes it.
        for (let depth = 1; depth <= directory.length; depth++) this.collections.delete(directory.slice(0, depth).join('/'));
        throw new StorageOperationFailed(this.location(path), 'write', `the server answered HTTP ${put.status}: the parent collection does not exist (check the protocol prefix; a retry creates it)`);
      }
      if (put.status >= 300) throw this.statusError(put, 'write', path);
      uploaded = true;
      // The server may answer once it has the declared bytes, before the source has said it ended: wait for the
      // verifier to have seen the end (and checked the size) before reading what it found.
      await finished(verifier, { readable: false });
      verifier.assertMatches();
      const result = verifier.result;
      await this.moveIntoPlace(temporaryUrl, finalUrl, 'write', path);
      temporaryUrl = undefined;
      return result;
    } catch (error) {
      body.destroy();
      if (temporaryUrl) await this.removeTemporary(temporaryUrl, uploaded);
      throw this.mapError(error, 'write', path);
    }
  }

  /** MOVE of a complete, verified temporary file onto its final name (replacing what is there). */
  private async moveIntoPlace(temporaryUrl: string, finalUrl: string, operation: string, path: string): Promise<void> {
    const move = await this.request('MOVE', temporaryUrl, operation, path, { headers: { Destination: finalUrl, Overwrite: 'T' } });
    if (move.status === 405 || move.status === 501) {
      throw new UnsupportedStorageOperation(
        this.location(path),
        'MOVE',
        'Tarn writes to a temporary name and moves it into place, so that no partial file is ever visible: use a WebDAV server that implements MOVE.',
      );
    }
    if (move.status >= 300) throw this.statusError(move, operation, path);
    const segments = this.fileSegments(path);
    if (this.moveDecodes === true || !needsEscaping(segments)) return;
    // A name that needs escaping: did the file land at it, or at its escaped text taken literally?
    const landed = await this.request('HEAD', finalUrl, operation, path);
    if (landed.status < 300) {
      this.moveDecodes = true;
      return;
    }
    if (landed.status !== 404) throw this.statusError(landed, operation, path);
    this.moveDecodes = false;
    await this.request('DELETE', this.urlOf(segments.map(encodeSegment), false), operation, path).catch(() => undefined);
    this.assertMovable(segments, path);
  }

  /** Refuses, before anything is sent, a name that this server would put elsewhere when moving it into place. */
  private assertMovable(segments: string[], path: string): void {
    if (this.moveDecodes !== false || !needsEscaping(segments)) return;
    throw new UnsupportedStorageOperation(
      this.location(path),
      'MOVE to a name that needs escaping in a URL',
      `The server does not decode the Destination of a MOVE (as XRootD's HTTP door 5.5), so '${path}' would land under another name: ` +
        'write it through another protocol of the RSE (root://), or rename the file.',
    );
  }

  /**
   * HTTP-TPC (WLCG HTTP third-party copy, pull mode): a COPY to this (the destination) server with the source's
   * URL in a Source header; the server fetches the file itself, no byte through Tarn, into a temporary name; then
   * its size and the checksums it reports (Want-Digest) are checked against the catalogue's, and it is moved into
   * place. The source's bearer token, if it has one, goes along as TransferHeaderAuthorization; a source reached
   * with a password is refused (Tarn gives passwords to no other server), as are servers that answer COPY with
   * 400/405/501 (remembered for 10 minutes).
   */
  async copyFrom(source: StorageProtocol, sourcePath: string, path: string, options: CopyFromOptions = {}): Promise<StorageSideCopy | NoStorageSideCopy> {
    if (!(source instanceof WebDavStorage)) return { refused: `the source ${source.endpoint} is not an HTTP/WebDAV endpoint (HTTP-TPC pulls over HTTP)` };
    if (this.tpcRefusal && this.tpcRefusal.until > Date.now()) return { refused: this.tpcRefusal.why };
    const credential = await source.thirdPartyCredential(sourcePath);
    if ('refused' in credential) return credential;
    const expected = options.checksums ?? {};
    if (!expected.adler32 && !expected.md5) return { refused: 'the file has no adler32 or md5 in the catalogue to check a third-party copy with' };
    const segments = this.fileSegments(path);
    if (this.moveDecodes === false && needsEscaping(segments)) return { refused: `${this.endpoint} would not move '${path}' into place under its own name (it does not decode MOVE's Destination)` };
    const directory = segments.slice(0, -1);
    const temporary = temporaryName();
    const temporaryUrl = this.urlOf([...directory, temporary], false);
    const operation = `copy '${sourcePath}' from ${source.endpoint} (HTTP-TPC) to`;
    let started = false;
    try {
      await this.ensureCollection(directory, path);
      const response = await this.request('COPY', temporaryUrl, operation, path, {
        headers: { Source: source.fileUrl(sourcePath), Overwrite: 'T', ...(credential.header ? { TransferHeaderAuthorization: credential.header } : {}) },
        responseType: 'stream',
        maxRedirects: 0,
        signal: options.signal,
      });
      const body = response.data as Readable;
      if (refusesHttpTpc(response.status)) {
        body.resume();
        const why = `${this.base.origin} does not take HTTP-TPC COPY (HTTP ${response.status} ${response.statusText ?? ''})`.trim();
        this.tpcRefusal = { why, until: Date.now() + 10 * 60_000 };
        return { refused: why };
      }
      if (response.status >= 300) {
        body.resume();
        throw this.statusError(response, operation, path);
      }
      started = true;
      const outcome = await readTpcOutcome(body);
      if (!outcome.ok) throw new StorageOperationFailed(this.location(path), operation, `the destination's pull failed: ${outcome.line}`);
      const found = await this.stat([...directory, temporary].join('/'));
      const mismatched: { what: string; expected: string; actual: string }[] = [];
      if (options.bytes !== undefined && found.bytes !== options.bytes) mismatched.push({ what: 'size', expected: String(options.bytes), actual: String(found.bytes) });
      const compared = (['adler32', 'md5'] as const).filter((a) => expected[a] && found.checksums?.[a]);
      if (compared.length === 0) {
        throw new StorageOperationFailed(this.location(path), operation, `${this.base.origin} reports no adler32 or md5 (Want-Digest) to check the copy with, so it was not kept`);
      }
      for (const a of compared) if (found.checksums![a] !== expected[a]) mismatched.push({ what: a, expected: expected[a]!, actual: found.checksums![a]! });
      if (mismatched.length > 0) throw new ChecksumMismatch(this.location(path), mismatched);
      await this.moveIntoPlace(temporaryUrl, this.fileUrl(path), operation, path);
      started = false;
      return {
        result: { bytes: found.bytes, ...found.checksums },
        how: `HTTP-TPC: ${this.base.origin} pulled the file from ${source.base.origin}`,
        verified: true,
      };
    } catch (error) {
      if (started || options.signal?.aborted) await this.removeTemporary(temporaryUrl, true);
      throw this.mapError(error, operation, path);
    }
  }

  /** What another server needs to read a file of this storage in a third-party copy: a bearer token, or nothing. */
  private async thirdPartyCredential(path: string): Promise<{ header?: string } | NoStorageSideCopy> {
    if (this.tokens || this.bearerToken) {
      const header = this.tokens ? (await this.authorization('read', path)).Authorization : `Bearer ${this.bearerToken}`;
      return { header };
    }
    if (this.hasPassword) return { refused: `the source ${this.endpoint} is read with a password, which Tarn gives to no other server` };
    return {};
  }

  /**
   * After a completed PUT, one DELETE. After an aborted one the server may still be handling it, and some
   * (rclone) keep what arrived, even after a DELETE that came first: look again a few times over ~1.5 s.
   * Best effort; listings skip any leftover anyway.
   */
  private async removeTemporary(url: string, uploaded: boolean): Promise<void> {
    const headers = await this.authorization('delete', undefined).catch(() => ({}));
    const remove = () => this.http.request({ method: 'DELETE', url, headers }).then(() => true, () => false);
    if (!(await remove()) || uploaded) return; // unreachable server, or nothing in flight
    for (const delay of [100, 400, 1000]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const head = await this.http.request({ method: 'HEAD', url, headers }).catch(() => undefined);
      if (head && head.status < 300) await remove();
    }
  }

  async delete(path: string): Promise<DeleteResult> {
    const url = this.fileUrl(path);
    // A DELETE of a collection removes everything in it: make sure a file is there first.
    const found = await this.propfind(url, '0', PROPFIND_FILE, 'delete', path);
    if (!found?.[0]) return { existed: false };
    if (found[0].collection) {
      throw new StorageOperationFailed(this.location(path), 'delete', 'it is a collection (directory), not a file; refusing to delete it with its content');
    }
    const response = await this.request('DELETE', url, 'delete', path);
    if (response.status === 404) return { existed: false };
    if (response.status >= 300) throw this.statusError(response, 'delete', path);
    return { existed: true };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<StorageEntry> {
    const start = this.directorySegments(prefix);
    // Breadth-first, a few PROPFIND Depth: 1 in flight; Depth: infinity is often refused by servers.
    type Listed = { id: number; entries: StorageEntry[]; collections: string[][] } | { id: number; error: unknown };
    const pending: string[][] = [start];
    const inFlight = new Map<number, Promise<Listed>>();
    let nextId = 0;
    while (pending.length > 0 || inFlight.size > 0) {
      while (pending.length > 0 && inFlight.size < this.listConcurrency) {
        const id = nextId++;
        const segments = pending.shift() as string[];
        // Settled, never rejected: a failure is rethrown below, after the others can no longer go unhandled.
        inFlight.set(id, this.listCollection(segments, prefix, Boolean(options.temporary)).then((r) => ({ id, ...r }), (error: unknown) => ({ id, error })));
      }
      const listed = await Promise.race(inFlight.values());
      inFlight.delete(listed.id);
      if ('error' in listed) throw listed.error;
      pending.push(...listed.collections);
      yield* listed.entries;
    }
  }

  async space(): Promise<SpaceUsage> {
    const found = await this.propfind(this.base.toString(), '0', PROPFIND_QUOTA, 'measure the space of', undefined);
    const root = found?.[0];
    const free = root?.quotaAvailableBytes;
    const used = root?.quotaUsedBytes;
    return {
      ...(free !== undefined ? { free } : {}),
      ...(used !== undefined ? { used } : {}),
      ...(free !== undefined && used !== undefined ? { total: free + used } : {}),
    };
  }

  async close(): Promise<void> {
    this.http.defaults.httpAgent?.destroy();
    this.http.defaults.httpsAgent?.destroy();
  }

  private async listCollection(
    segments: string[],
    prefix: string,
    withTemporary: boolean,
  ): Promise<{ entries: StorageEntry[]; collections: string[][] }> {
    const url = this.urlOf(segments, true);
    const found = await this.propfind(url, '1', PROPFIND_FILE, 'list', segments.join('/') || prefix);
    const entries: StorageEntry[] = [];
    const collections: string[][] = [];
    for (const resource of found ?? []) {
      const childSegments = this.segmentsOfHref(resource.href);
      // Only direct children: the collection itself comes back too (it is no entry: no '.').
      if (childSegments === undefined || childSegments.length !== segments.length + 1) continue;
      const path = childSegments.join('/');
      if (storagePathProblem(path, 'file')) continue;
      if (resource.collection) collections.push(childSegments);
      else {
        const temporary = isTemporaryName(path);
        if (!temporary || withTemporary) entries.push({ path, bytes: resource.bytes ?? 0, mtime: resource.mtime ?? new Date(0), ...(temporary ? { temporary } : {}) });
      }
    }
    return { entries, collections };
  }

  /** The decoded path segments (relative to the base) of an href from a multistatus, or undefined if outside. */
  private segmentsOfHref(href: string): string[] | undefined {
    const decode = (pathname: string) => {
      const parts = pathname.split('/').slice(1);
      if (parts[parts.length - 1] === '') parts.pop();
      return parts.map((p) => decodeURIComponent(p));
    };
    let segments: string[];
    try {
      segments = decode(new URL(href, this.base).pathname);
    } catch {
      return undefined; // not valid percent-encoding: no path of ours
    }
    const base = decode(this.base.pathname);
    if (segments.length < base.length || base.some((s, i) => segments[i] !== s)) return undefined;
    return segments.slice(base.length);
  }

  /** MKCOL the missing collections of a directory, from the deepest missing one down (409: parent missing). */
  private async ensureCollection(segments: string[], path: string): Promise<void> {
    for (let depth = segments.length; depth > 0; depth--) {
      const key = segments.slice(0, depth).join('/');
      if (this.collections.has(key)) return this.createBelow(segments, depth, path);
      const response = await this.mkcol(segments.slice(0, depth), path);
      // 201 created; 405 (or 301 on some servers) already there.
      if (response.status === 201 || response.status === 405 || response.status === 301) {
        this.collections.add(key);
        return this.createBelow(segments, depth, path);
      }
      if (response.status !== 409 && response.status !== 404) throw this.statusError(response, 'create the directory of', path);
    }
  }

  /**
   * One MKCOL. A server that locks a collection while another request creates or writes it (423 Locked, e.g. when
   * copies into one directory run at once) is asked again a few times, shortly after, before its answer counts.
   */
  private async mkcol(segments: string[], path: string): Promise<AxiosResponse> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.request('MKCOL', this.urlOf(segments, true), 'create the directory of', path);
      if (response.status !== 423 || attempt >= MKCOL_LOCKED_RETRIES) return response;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * (0.5 + Math.random())));
    }
  }

  private async createBelow(segments: string[], existingDepth: number, path: string): Promise<void> {
    for (let depth = existingDepth + 1; depth <= segments.length; depth++) {
      const response = await this.mkcol(segments.slice(0, depth), path);
      if (response.status !== 201 && response.status !== 405 && response.status !== 301) {
        throw this.statusError(response, 'create the directory of', path);
      }
      this.collections.add(segments.slice(0, depth).join('/'));
    }
  }

  private async propfind(url: string, depth: '0' | '1', body: string, operation: string, path: string | undefined): Promise<DavResource[] | undefined> {
    const response = await this.request('PROPFIND', url, operation, path, {
      headers: { Depth: depth, 'Content-Type': 'application/xml; charset=utf-8' },
      data: body,
      responseType: 'text',
    });
    if (response.status === 404) return undefined;
    if (response.status !== 207) throw this.statusError(response, operation, path);
    try {
      return parseMultistatus(String(response.data));
    } catch (error) {
      throw new StorageOperationFailed(this.location(path), operation, `the server's PROPFIND answer is not a valid multistatus (${messageOf(error)})`, error);
    }
  }

  private async request(
    method: string,
    url: string,
    operation: string,
    path: string | undefined,
    config: { headers?: Record<string, string>; data?: unknown; responseType?: 'stream' | 'text'; maxRedirects?: number; signal?: AbortSignal } = {},
  ): Promise<AxiosResponse> {
    const send = async () => this.http.request({ method: method as Method, url, ...config, headers: { ...config.headers, ...(await this.authorization(operation, path)) } });
    try {
      const response = await send().catch((error: unknown) => {
        // A kept-alive connection the server had closed meanwhile: a request that changes nothing twice goes again, once.
        if (IDEMPOTENT.has(method) && !(config.data instanceof Readable) && ['ECONNRESET', 'EPIPE'].includes(networkErrorCode(error) ?? '')) return send();
        throw error;
      });
      // A token the storage no longer takes (revoked, or expired by its clock): once more with a new one, when the body can be sent again.
      if (response.status === 401 && this.tokens && !(config.data instanceof Readable)) {
        this.tokens.source.forget(this.tokens.audience, this.tokens.scope);
        if (response.data instanceof Readable) response.data.resume();
        return await send();
      }
      return response;
    } catch (error) {
      throw this.mapError(error, operation, path);
    }
  }

  /** The Authorization header of a storage reached with tokens of its own audience. */
  private async authorization(operation: string, path: string | undefined): Promise<Record<string, string>> {
    if (!this.tokens) return {};
    try {
      return { Authorization: `Bearer ${await this.tokens.source.token(this.tokens.audience, this.tokens.scope)}` };
    } catch (error) {
      const reason = `no token for the storage audience '${this.tokens.audience}': ${(error as Error).message}`;
      if (error instanceof StorageTokenError && !error.transient) throw new StoragePermissionDenied(this.location(path), operation, reason, error);
      throw new StorageUnavailable(this.location(path), operation, reason, error);
    }
  }

  fileUrl(path: string): string {
    return this.urlOf(this.fileSegments(path), false);
  }

  private urlOf(segments: string[], collection: boolean): string {
    const relative = segments.map(encodeSegment).join('/');
    return new URL(relative + (collection && relative !== '' ? '/' : ''), this.base).toString();
  }

  private statusError(response: AxiosResponse, operation: string, path: string | undefined): Error {
    const location = this.location(path);
    const status = response.status;
    const said = `HTTP ${status} ${response.statusText ?? ''}`.trim();
    if (status === 404 && path !== undefined) return new NotFoundOnStorage(location);
    if (status === 401) return new StoragePermissionDenied(location, operation, `${said}: the server did not accept the credentials`);
    if (status === 403) return new StoragePermissionDenied(location, operation, `${said}: the credentials are not allowed to do this`);
    if (status === 507) return new StorageFull(location, said);
    if (status === 408 || status === 429 || status >= 500) return new StorageUnavailable(location, operation, said);
    if (status >= 300 && status < 400) {
      return new StorageOperationFailed(location, operation, `the server redirected (${said}) to ${headerOf(response, 'location') ?? '?'}, which this client does not follow for this request`);
    }
    return new StorageOperationFailed(location, operation, `the server answered ${said}`);
  }

  private mapError(error: unknown, operation: string, path: string | undefined): Error {
    const inner = sourceFailure(error, this.location(path)); // what went wrong with a request body
    if (inner) return inner;
    if (isStorageError(error)) return error; // e.g. no token could be had
    const location = this.location(path);
    const network = networkErrorCode(error);
    if (network) return new StorageUnavailable(location, operation, network, error);
    if (axios.isAxiosError(error) && error.response) return this.statusError(error.response, operation, path);
    return new StorageOperationFailed(location, operation, messageOf(error), error);
  }
}

/** Methods that may be sent again when a connection broke under them. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'DELETE', 'PROPFIND', 'OPTIONS']);

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment);
}

/** Whether a path's segments change when escaped for a URL (spaces, non-ASCII, '#', '&'...). */
function needsEscaping(segments: readonly string[]): boolean {
  return segments.some((segment) => encodeSegment(segment) !== segment);
}

function headerOf(response: AxiosResponse | undefined, name: string): string | undefined {
  const value = response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}
