import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { XROOTD_SESSION_SCRIPT } from './xrootd-session.script.js';

/**
 * What an XRootD call failed with: the kind Tarn acts on, and XrdCl's words and numbers.
 * - `missing`: the XRootD client library cannot be loaded here (a misconfigured host, not a storage problem);
 * - `ended`: the session process died while the call was in flight (transient: a new session serves the next call).
 */
export type XrootdFailureKind =
  | 'notfound' | 'denied' | 'full' | 'isdir' | 'unavailable' | 'unsupported' | 'checksum' | 'failed' | 'missing' | 'ended';

export class XrootdCallFailed extends Error {
  constructor(
    readonly kind: XrootdFailureKind,
    message: string,
    readonly code = 0,
    readonly errno = 0,
  ) {
    super(message);
  }
}

export interface XrootdAnswer<T> {
  value: T;
  data: Buffer;
}

interface Pending {
  resolve: (answer: XrootdAnswer<unknown>) => void;
  reject: (error: Error) => void;
}

const FRAME_HEAD = 13; // u32 length, u32 id, u8 kind, u32 JSON length
const STDERR_KEPT = 4096;

/**
 * XrdCl's defaults wait minutes for a server that refuses connections (5 attempts in 120 s windows): a door that
 * is down must fail fast, so that the next protocol is tried. Operators' own XRD_* settings win.
 */
const SESSION_DEFAULTS: Record<string, string> = {
  XRD_CONNECTIONWINDOW: '10',
  XRD_CONNECTIONRETRY: '1',
  XRD_REQUESTTIMEOUT: '300',
  XRD_STREAMTIMEOUT: '120',
  XRD_APPNAME: 'tarn',
};

/** The Python that has the XRootD bindings: TARN_XROOTD_PYTHON, else Debian's (python3-xrootd), else python3. */
export function xrootdPython(env: Record<string, string | undefined> = process.env): string {
  if (env.TARN_XROOTD_PYTHON) return env.TARN_XROOTD_PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/**
 * One XRootD client session: a child process running the XRootD client library (xrootd-session.script.ts) that
 * serves any number of calls at once over its stdin/stdout, so that copying many files spawns no process per file.
 * Started on the first call, restarted on the next call after it died; it holds the Node process open only while
 * calls are in flight. Sessions are shared per environment (see `acquire`).
 */
export class XrootdSession {
  private static readonly shared = new Map<string, { session: XrootdSession; users: number }>();
  /** Session processes this Node process started, and calls it made, over all sessions (benchmarks report them). */
  static processesStarted = 0;
  static callsMade = 0;

  /** The session for this extra environment (e.g. a bearer token), shared by every storage that asks for the same. */
  static acquire(extraEnv: Record<string, string> = {}): XrootdSession {
    const key = JSON.stringify(Object.entries(extraEnv).sort());
    let entry = XrootdSession.shared.get(key);
    if (!entry) {
      entry = { session: new XrootdSession(key, extraEnv), users: 0 };
      XrootdSession.shared.set(key, entry);
    }
    entry.users++;
    return entry.session;
  }

  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private stderr = '';
  /** Calls made over the session's life, and processes started: what the benchmarks report. */
  readonly stats = { calls: 0, processes: 0 };

  private constructor(
    private readonly key: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  /** Gives one user's share back (once per acquire); the last one stops the process. */
  release(): void {
    const entry = XrootdSession.shared.get(this.key);
    if (!entry || entry.session !== this || --entry.users > 0) return;
    XrootdSession.shared.delete(this.key);
    this.stop();
  }

  /** The pid of the running session process, if any (for tests that read its I/O counters). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** One operation; aborting `signal` asks the session to cancel it (third-party copies stop at their next check). */
  call<T>(op: string, args: Record<string, unknown>, data?: Buffer, signal?: AbortSignal): Promise<XrootdAnswer<T>> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    if (signal) {
      const cancel = () => void this.call('cancel', { call: id }).catch(() => undefined);
      if (signal.aborted) queueMicrotask(cancel);
      else signal.addEventListener('abort', cancel, { once: true });
    }
    if (this.nextId > 0xfffffff0) this.nextId = 1;
    this.stats.calls++;
    XrootdSession.callsMade++;
    const json = Buffer.from(JSON.stringify({ op, args: { ...args, id } }));
    const blob = data ?? Buffer.alloc(0);
    const head = Buffer.alloc(FRAME_HEAD);
    head.writeUInt32BE(FRAME_HEAD - 4 + json.length + blob.length, 0);
    head.writeUInt32BE(id, 4);
    head.writeUInt8(0x51, 8); // 'Q'
    head.writeUInt32BE(json.length, 9);
    return new Promise<XrootdAnswer<T>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      if (this.pending.size === 1) this.hold(true);
      const stdin = child.stdin as Writable;
      stdin.write(head);
      stdin.write(json);
      if (blob.length > 0) stdin.write(blob);
    });
  }

  private start(): ChildProcess {
    const env: Record<string, string | undefined> = { ...SESSION_DEFAULTS, ...process.env, ...this.extraEnv };
    const python = xrootdPython(env);
    const child = spawn(python, ['-c', 'import os;exec(compile(os.fdopen(3,"rb").read(),"tarn-xrootd-session","exec"))', 'tarn-xrootd-session'], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env,
    });
    this.stats.processes++;
    XrootdSession.processesStarted++;
    this.child = child;
    this.stderr = '';
    this.chunks = [];
    this.buffered = 0;
    const script = child.stdio[3] as Writable;
    script.on('error', () => undefined); // a child that died at once: reported by 'exit'
    script.end(XROOTD_SESSION_SCRIPT);
    child.stdin!.on('error', () => undefined);
    child.stdout!.on('data', (chunk: Buffer) => {
      try {
        this.receive(chunk);
      } catch (error) {
        // Not a frame of ours: nothing after it can be trusted. Fail what waits, and start afresh next time.
        this.ended(child, new XrootdCallFailed('ended', `the XRootD client session sent something unreadable (${(error as Error).message})`));
        child.kill('SIGKILL');
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-STDERR_KEPT);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const kind = error.code === 'ENOENT' ? 'missing' : 'ended';
      this.ended(child, new XrootdCallFailed(kind, `cannot start ${python} for the XRootD client library: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      const said = this.stderr.trim().split('\n').slice(-5).join(' | ');
      const missing = code === 3 && /cannot import the XRootD client library/.test(this.stderr);
      this.ended(
        child,
        new XrootdCallFailed(
          missing ? 'missing' : 'ended',
          missing
            ? `the XRootD client library is not available to ${python} (${said}): install xrootd-client and python3-xrootd, or set TARN_XROOTD_PYTHON to a Python that has them`
            : `the XRootD client session (pid ${child.pid}) ended (${signal ?? `exit code ${code}`})${said ? `: ${said}` : ''}`,
        ),
      );
    });
    this.hold(this.pending.size > 0);
    return child;
  }

  /** Keeps the Node process alive only while calls are in flight. */
  private hold(on: boolean): void {
    const child = this.child;
    if (!child) return;
    const handles = [child, child.stdout, child.stderr, child.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>;
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  private ended(child: ChildProcess, error: XrootdCallFailed): void {
    if (this.child !== child) return;
    this.child = null;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) p.reject(error);
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const first = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const length = first.readUInt32BE(0);
      if (this.buffered < length + 4) return;
      const frame = this.take(length + 4);
      const id = frame.readUInt32BE(4);
      const jsonLength = frame.readUInt32BE(9);
      const answer = JSON.parse(frame.subarray(FRAME_HEAD, FRAME_HEAD + jsonLength).toString()) as {
        ok: boolean;
        value?: unknown;
        error?: { kind: XrootdFailureKind; message: string; code: number; errno: number };
      };
      const waiting = this.pending.get(id);
      if (!waiting) continue;
      this.pending.delete(id);
      if (this.pending.size === 0) this.hold(false);
      if (answer.ok) waiting.resolve({ value: answer.value, data: frame.subarray(FRAME_HEAD + jsonLength) });
      else {
        const e = answer.error!;
        waiting.reject(new XrootdCallFailed(e.kind, e.message, e.code, e.errno));
      }
    }
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      this.chunks[0] = first.subarray(n);
      if (this.chunks[0].length === 0) this.chunks.shift();
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const all = this.flatten();
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }

  private stop(): void {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) p.reject(new XrootdCallFailed('ended', 'the XRootD client session was closed'));
    child.stdin?.end(); // the session exits when its input ends
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    timer.unref();
    child.once('exit', () => clearTimeout(timer));
    this.hold(false);
  }
}
