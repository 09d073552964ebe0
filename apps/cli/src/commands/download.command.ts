import type { Command } from 'commander';
import { parseDidArg, parsePositiveInt, parseSize } from '../arguments.js';
import { constants, createWriteStream } from 'node:fs';
import { access, lstat, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumSet } from '@tarn/checksums';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { CliProtocolFallback, RseDirectory, type WireProtocol } from '../storage-access.js';
import { formatBytes } from '../table.js';
import { RateTransform, runPool } from '../transfer-utils.js';

interface Candidate {
  rse: string;
  pfn: string;
  protocol: WireProtocol;
  path: string;
  rank: number;
}

interface FileToGet {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  pfns: Record<string, { rse: string; priority: number; domain: string }>;
  dest: string;
  /** Why it is not written at all (its target would leave --dir, or another file of this run has it). */
  refused?: string;
  /** How it went: from which RSE, through which endpoint, after which failed ones. */
  result?: { action: 'downloaded' | 'skipped'; rse: string | null; via?: string; fellBackAfter?: string[] };
}

const PART = '.tarn-part';

/** Checksums of what is already on disk (a complete file, or the first part of a resumed one). */
async function hashLocal(path: string, set: ChecksumSet, onBytes?: (n: number) => void): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    set.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
}

function matches(sums: { bytes: number; adler32?: string; md5?: string }, file: FileToGet): string | null {
  if (sums.bytes !== file.bytes) return `${sums.bytes} bytes instead of ${file.bytes}`;
  if (file.adler32 && sums.adler32 !== file.adler32) return `adler32 ${sums.adler32} instead of ${file.adler32}`;
  if (file.md5 && sums.md5 !== file.md5) return `md5 ${sums.md5} instead of ${file.md5}`;
  return null;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

export function registerDownloadCommand(program: Command, io: CliIo): void {
  program
    .command('download <dids...>')
    .description('Download files, datasets or containers: best replica, in parallel, checksums verified; re-running resumes')
    .option('--dir <dir>', 'where to put the files (as <dir>/<scope>/<name>)', '.')
    .option('--no-subdir', 'put the files directly in --dir, without the scope directory')
    .option('--rses <expression>', 'only from these RSEs')
    .option('--parallel <n>', 'files downloaded at once (default: config parallel, 4)')
    .option('--limit-rate <rate>', 'bandwidth cap per file, bytes per second (or 10MB)')
    .option('--overwrite', 'replace a local file that has other content (by default such a file is left alone and reported)')
    .action(act(io, download));
}

async function download(ctx: CommandContext, didTexts: string[], opts: Record<string, any>): Promise<void> {
  const dids = didTexts.map((t) => parseDidArg(t));
  const parallel = opts.parallel ? parsePositiveInt(opts.parallel, '--parallel') : ctx.config.parallel;
  const rate = opts.limitRate ? parseSize(opts.limitRate, '--limit-rate') : undefined;
  const dir = resolve(ctx.io.cwd, opts.dir);
  const files: FileToGet[] = [];
  const seen = new Set<string>();
  const targets = new Map<string, string>();
  for await (const row of ctx.client.ndjson<Record<string, any>>('POST', '/replicas/list', {
    what: `Listing the replicas of ${didTexts.join(', ')}`,
    body: { dids, all_states: false, ...(opts.rses ? { rse_expression: opts.rses } : {}) },
  })) {
    const id = `${row.scope}:${row.name}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const target = targetUnder(dir, opts.subdir === false ? [row.name] : [row.scope, row.name]);
    let refused = target.problem;
    const other = targets.get(target.path);
    if (!refused && other) refused = `${other} is written to ${target.path} too: download them without --no-subdir, or one at a time into other directories`;
    targets.set(target.path, id);
    files.push({
      scope: row.scope,
      name: row.name,
      bytes: Number(row.bytes),
      adler32: row.adler32 ?? null,
      md5: row.md5 ?? null,
      pfns: row.pfns ?? {},
      dest: target.path,
      refused: refused ? `${id}: not written: ${refused}` : undefined,
    });
  }
  if (files.length === 0) throw new CliError(`${didTexts.join(', ')} has no files with an available replica${opts.rses ? ` on '${opts.rses}'` : ''}: check the DID (tarn replica list --all-states).`, ExitCode.NOT_FOUND);

  const rses = new RseDirectory(ctx.client, ctx.io.env);
  const fallback = new CliProtocolFallback((text) => ctx.note(text));
  const total = files.reduce((s, f) => s + f.bytes, 0);
  const bar = ctx.progress('download', total, 'bytes', files.length);
  const failures: string[] = [];
  try {
    await runPool(
      files,
      parallel,
      async (file) => {
        try {
          if (file.refused) throw new CliError(file.refused, ExitCode.USAGE);
          await downloadOne(ctx, rses, fallback, file, { dir, rate, overwrite: opts.overwrite === true }, (n) => bar.add(n));
        } catch (error) {
          if (ctx.io.signal?.aborted) throw error;
          failures.push(error instanceof Error ? error.message : String(error));
        }
        bar.itemDone();
      },
      ctx.io.signal,
    );
  } finally {
    bar.finish();
    await rses.close();
  }
  ctx.checkAborted(`downloading ${didTexts.join(', ')}`);
  const rows = files.filter((f) => f.result);
  ctx.printList(rows, [
    { header: 'DID', value: (f) => `${f.scope}:${f.name}` },
    { header: 'SIZE', value: (f) => formatBytes(f.bytes), align: 'right' },
    { header: 'RSE', value: (f) => f.result?.rse ?? '-' },
    ...(rows.some((f) => f.result?.fellBackAfter) ? [{ header: 'VIA', value: (f: FileToGet) => f.result?.via ?? '' }] : []),
    { header: 'ACTION', value: (f) => f.result?.action },
    { header: 'PATH', value: (f) => f.dest },
  ], (f) => ({
    scope: f.scope,
    name: f.name,
    bytes: f.bytes,
    adler32: f.adler32,
    rse: f.result?.rse ?? null,
    action: f.result?.action,
    path: f.dest,
    via: f.result?.via ?? null,
    fell_back_after: f.result?.fellBackAfter ?? [],
  }));
  if (failures.length > 0) {
    throw new CliError(`${failures.length} of ${files.length} file(s) not downloaded: ${failures.join('; ')}`, failures.every((f) => f.includes('checksum')) ? ExitCode.VERIFICATION : ExitCode.FAILURE);
  }
}

/** Posix replicas readable from here first, then by the protocol priority the API gives. */
async function candidates(rses: RseDirectory, file: FileToGet): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const [pfn, info] of Object.entries(file.pfns)) {
    const resolved = await rses.resolvePfn(info.rse, pfn);
    if (!resolved) continue;
    let rank = 1000 + (info.priority ?? 100);
    const scheme = resolved.protocol.scheme.toLowerCase();
    if (scheme === 'file' || scheme === 'posix') {
      const local = join(resolved.protocol.prefix, resolved.path);
      try {
        await access(local, constants.R_OK);
        rank = info.priority ?? 0;
      } catch {
        continue;
      }
    }
    out.push({ rse: info.rse, pfn, protocol: resolved.protocol, path: resolved.path, rank });
  }
  return out.sort((a, b) => a.rank - b.rank);
}

/**
 * `dir`/`segments` when it stays inside `dir`. DID names are checked by Tarn when they are made, but a file is never
 * written where its name says without checking again here: the listing comes from a server, and catalogues outlive
 * the rules they were made under.
 */
export function targetUnder(dir: string, segments: readonly string[]): { path: string; problem?: string } {
  const path = resolve(dir, ...segments);
  const parts = segments.flatMap((s) => s.split('/'));
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) {
    return { path, problem: `its name has an empty, '.' or '..' path segment, which would not stay inside ${dir}` };
  }
  if (!path.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return { path, problem: `${path} is outside ${dir}` };
  return { path };
}

/** Whether `path` (resolved through symbolic links) is `dir` or inside it. */
async function staysInside(dir: string, path: string): Promise<boolean> {
  const [realDir, real] = await Promise.all([realpath(dir), realpath(path)]);
  return real === realDir || real.startsWith(realDir.endsWith(sep) ? realDir : realDir + sep);
}

async function downloadOne(
  ctx: CommandContext,
  rses: RseDirectory,
  fallback: CliProtocolFallback,
  file: FileToGet,
  options: { dir: string; rate: number | undefined; overwrite: boolean },
  onBytes: (n: number) => void,
): Promise<void> {
  const { rate } = options;
  const did = `${file.scope}:${file.name}`;
  if ((await sizeOf(file.dest)) === file.bytes) {
    const set = await ChecksumSet.create(['adler32', 'md5']);
    await hashLocal(file.dest, set);
    if (matches(set.result(), file) === null) {
      onBytes(file.bytes);
      file.result = { action: 'skipped', rse: null };
      return;
    }
  }
  const existing = await lstat(file.dest).catch(() => null);
  if (existing?.isDirectory()) {
    throw new CliError(`${did}: not written: ${file.dest} is a directory; move it away or download into another --dir`, ExitCode.EXISTS);
  }
  if (existing && !options.overwrite) {
    throw new CliError(
      `${did}: not written: ${file.dest} exists with other content and is left as it is; run again with --overwrite to replace it, or download into another --dir`,
      ExitCode.EXISTS,
    );
  }
  await mkdir(dirname(file.dest), { recursive: true });
  if (!(await staysInside(options.dir, dirname(file.dest)))) {
    throw new CliError(`${did}: not written: ${dirname(file.dest)} leads outside ${options.dir} through a symbolic link`, ExitCode.USAGE);
  }
  const part = `${file.dest}${PART}`;
  const tried: string[] = [];
  const ordered = fallback.order(await candidates(rses, file), (c) => rses.storage(c.rse, c.protocol));
  for (const [i, candidate] of ordered.entries()) {
    ctx.checkAborted(`downloading ${did}`);
    const storage = rses.storage(candidate.rse, candidate.protocol);
    const next = ordered[i + 1];
    const set = await ChecksumSet.create(['adler32', 'md5']);
    let offset = (await sizeOf(part)) ?? 0;
    if (offset > file.bytes) {
      await rm(part, { force: true });
      offset = 0;
    }
    // A part left by an earlier run counts once; one left by the candidate before was counted as it came.
    if (offset > 0) await hashLocal(part, set, i === 0 ? onBytes : undefined);
    try {
      const source = await storage.read(candidate.path, { offset });
      const onAbort = () => source.destroy(new Error('interrupted'));
      ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const meter = new RateTransform(rate, (n, chunk) => {
          set.update(chunk);
          onBytes(n);
        });
        await pipeline(source, meter, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
      } finally {
        ctx.io.signal?.removeEventListener('abort', onAbort);
      }
    } catch (error) {
      ctx.checkAborted(`downloading ${did}`);
      tried.push(`${candidate.rse}: ${fallback.failed(candidate.rse, storage, error, next && rses.storage(next.rse, next.protocol))}`);
      continue;
    }
    const mismatch = matches(set.result(), file);
    if (mismatch) {
      await rm(part, { force: true });
      tried.push(`${candidate.rse}: checksum mismatch (${mismatch})`);
      continue;
    }
    await rename(part, file.dest);
    file.result = { action: 'downloaded', rse: candidate.rse, via: storage.endpoint, ...(tried.length > 0 ? { fellBackAfter: tried } : {}) };
    return;
  }
  throw new CliError(
    tried.length === 0
      ? `${did}: no replica reachable from here (no protocol tarn speaks); ask for a replica on an RSE with a file, s3, https or root protocol`
      : `${did}: every replica failed (${tried.join('; ')}); declare bad replicas (tarn replica declare-bad) or try again`,
    tried.some((t) => t.includes('checksum')) ? ExitCode.VERIFICATION : ExitCode.FAILURE,
  );
}
