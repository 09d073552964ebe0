import type { Command } from 'commander';
import { assertNoStrayUnit, checked, collect, type Expiry, parseDidArg, parseDuration, parseKeyValues, parseLifetime, parsePositiveInt, parseSize } from '../arguments.js';
import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { checksumFile } from '@tarn/checksums';
import { reasonTime } from '@tarn/domain';
import { ProtocolFallback, type StorageProtocol } from '@tarn/storage';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { attachMissing, ensureDataset, type FileDid, protectOnRse, replicaStates, setFilesMeta, waitForReplicas } from '../publish.js';
import { CliProtocolFallback, RseDirectory } from '../storage-access.js';
import type { ProgressBar } from '../progress.js';
import { formatBytes } from '../table.js';
import { localFiles, RateTransform, runPool } from '../transfer-utils.js';
import { DidNamer, namingOptions } from './did-naming.js';

interface UploadItem extends FileDid {
  path: string;
  bytes: number;
  adler32: string;
  md5: string;
  status: 'pending' | 'skipped' | 'written' | 'failed';
  /** Announced by an earlier run that stopped before its replica was verified. */
  announced?: boolean;
  /** Its bytes were already on the RSE from that run: not sent again, only marked written. */
  foundOnStorage?: boolean;
  state?: string | null;
  error?: string;
  /** The endpoint (RSE protocol) it was written through, and the ones that failed first. */
  via?: string;
  fellBackAfter?: string[];
}

interface SummaryInput {
  items: readonly UploadItem[];
  rse: string;
  dataset: FileDid | undefined;
  datasetCreated: boolean;
  lifetime: Expiry | undefined;
  ruleAdded: boolean;
  noRule: boolean;
  writeSeconds: number;
  seconds: number;
}

/** The last lines of an upload: what was written, at what rate, what was skipped or failed, and what expires when. */
export function uploadSummary(s: SummaryInput): string {
  const count = (status: UploadItem['status']) => s.items.filter((i) => i.status === status);
  const written = count('written');
  const bytes = written.reduce((sum, i) => sum + i.bytes, 0);
  const rate = s.writeSeconds > 0 ? `, ${formatBytes(bytes / s.writeSeconds)}/s` : '';
  const lines = [
    `Uploaded ${written.length} file(s), ${formatBytes(bytes)} in ${s.seconds.toFixed(1)} s${rate} to ${s.rse}; ` +
      `${count('skipped').length} skipped (already there), ${count('failed').length} failed.`,
  ];
  const until = s.lifetime === undefined ? null : reasonTime(s.lifetime.at ?? new Date(Date.now() + s.lifetime.seconds * 1000));
  if (s.dataset) {
    const name = `${s.dataset.scope}:${s.dataset.name}`;
    if (!s.datasetCreated) lines.push(`Dataset ${name} existed: it keeps its own lifetime${until ? ' (--lifetime applies to the rule only)' : ''}.`);
    else lines.push(`Dataset ${name} created${until ? `; it expires at ${until} (then the undertaker removes it and its rules)` : ', without expiry'}.`);
  }
  if (s.ruleAdded) {
    lines.push(
      until
        ? `A rule keeps the files on ${s.rse} until ${until}; after that they stay until ${s.rse} needs the space.`
        : `A rule keeps the files on ${s.rse} for good (no --lifetime).`,
    );
  } else if (!s.noRule) {
    lines.push('No rule was added: not every file is AVAILABLE yet; run the same command again to finish.');
  }
  return lines.join('\n');
}

export function registerUploadCommand(program: Command, io: CliIo): void {
  const command = program
    .command('upload <paths...>')
    .description('Upload files (directories: every file below) into a scope on an RSE, optionally into a dataset; re-running resumes')
    .requiredOption('-s, --scope <scope>', 'scope of the new files')
    .requiredOption('--rse <rse>', 'RSE to write to')
    .option('-d, --dataset <dataset>', 'dataset to attach the files to ([scope:]name; created if new)')
    .option(
      '--lifetime <lifetime>',
      'how long the upload is kept: the rule that keeps the files on the RSE expires (then the files may be deleted when space is needed), and so does a new dataset; ' +
        'a duration (30d, 48h, "2 days") or an expiry date (2027-01-31)',
      checked('--lifetime', parseLifetime),
    )
    .option('--meta <key=value>', 'metadata of the files and of a new dataset (repeatable)', collect)
    .option('--parallel <n>', 'files written at once (default: config parallel, 4)', checked('--parallel', parsePositiveInt))
    .option('--timeout <duration>', 'how long to wait for the verification of the replicas', checked('--timeout', parseDuration), 600)
    .option('--limit-rate <rate>', 'bandwidth cap per file, bytes per second (or 10MB)', checked('--limit-rate', parseSize))
    .option('--no-rule', 'do not add the rule that keeps the upload on the RSE');
  namingOptions(command).action(act(io, upload));
}

async function upload(ctx: CommandContext, paths: string[], opts: Record<string, any>): Promise<void> {
  assertNoStrayUnit(paths.filter((p) => !existsSync(resolve(ctx.io.cwd, p))), opts, ['lifetime', 'timeout']);
  const started = Date.now();
  const scope: string = opts.scope;
  const rse: string = opts.rse;
  const dataset = opts.dataset ? parseDidArg(opts.dataset, scope) : undefined;
  const lifetime: Expiry | undefined = opts.lifetime;
  const meta = parseKeyValues(opts.meta, 'Metadata');
  const parallel: number = opts.parallel ?? ctx.config.parallel;
  const rate: number | undefined = opts.limitRate;
  const namer = new DidNamer(opts.didName, opts.pattern);
  const files = await localFiles(paths, ctx.io.cwd, (relative) => namer.name(relative));
  if (files.length === 0) throw new CliError(`Nothing to upload in ${paths.join(', ')}: no files found.`, ExitCode.USAGE);

  const rses = new RseDirectory(ctx.client, ctx.io.env);
  try {
    const storages = (await rses.protocols(rse, 'write')).map((p) => rses.storage(rse, p));
    const fallback = new CliProtocolFallback((text) => ctx.note(text));

    // Checksums first: the replica is announced with them, and the storage checks the bytes it writes against them.
    const total = files.reduce((sum, f) => sum + f.bytes, 0);
    const hashing = ctx.progress('checksums', total, 'bytes', files.length);
    const items: UploadItem[] = (await runPool(
      files,
      parallel,
      async (f) => {
        const sums = await checksumFile(f.path, ['adler32', 'md5']);
        hashing.add(f.bytes);
        hashing.itemDone();
        return { scope, name: f.name, path: f.path, bytes: sums.bytes, adler32: sums.adler32!, md5: sums.md5!, status: 'pending' as const };
      },
      ctx.io.signal,
    )) as UploadItem[];
    hashing.finish();
    ctx.checkAborted(`computing checksums for the upload to RSE '${rse}'`);

    const known = await replicaStates(ctx, rse, items);
    const toAnnounce: UploadItem[] = [];
    for (const item of items) {
      const entry = known.get(`${item.scope}:${item.name}`)!;
      if (entry.exists && (entry.bytes !== item.bytes || (entry.adler32 && entry.adler32 !== item.adler32))) {
        throw new CliError(
          `${item.scope}:${item.name} already exists with other content (${entry.bytes} bytes, adler32 ${entry.adler32}; ${item.path} has ${item.bytes} bytes, adler32 ${item.adler32}). ` +
            'DID names are never reused: rename the file.',
          ExitCode.EXISTS,
        );
      }
      if (entry.state === 'AVAILABLE') item.status = 'skipped';
      else if (entry.state === null) toAnnounce.push(item);
      else if (entry.state === 'COPYING') item.announced = true;
    }
    if (toAnnounce.length > 0) {
      await ctx.client.request('POST', '/replicas', {
        what: `Announcing ${toAnnounce.length} replica(s) on RSE '${rse}'`,
        body: {
          rse,
          files: toAnnounce.map((i) => ({ scope: i.scope, name: i.name, bytes: i.bytes, adler32: i.adler32, md5: i.md5, state: 'C' })),
        },
      });
    }

    const pending = items.filter((i) => i.status === 'pending');
    const bar = ctx.progress(`upload to ${rse}`, pending.reduce((s, i) => s + i.bytes, 0), 'bytes', pending.length);
    const writing = Date.now();
    await runPool(
      pending,
      parallel,
      async (item) => {
        const path = await rses.path(rse, item.scope, item.name);
        try {
          if (item.announced && (await sameSizeOnStorage(storages, path, item.bytes))) {
            item.foundOnStorage = true;
            bar.add(item.bytes);
          } else await writeThroughProtocols(ctx, fallback, rse, fallback.order(storages, (s) => s), item, path, rate, bar);
          await ctx.client.request('PUT', '/replicas', {
            what: `Marking the replica of ${item.scope}:${item.name} on RSE '${rse}' written`,
            body: { rse, files: [{ scope: item.scope, name: item.name, state: 'A' }] },
          });
          item.status = item.foundOnStorage ? 'skipped' : 'written';
        } catch (error) {
          ctx.checkAborted(`uploading ${item.path} to RSE '${rse}'`);
          if (error instanceof CliError && error.exitCode === ExitCode.UNREACHABLE) throw error;
          item.status = 'failed';
          item.error = error instanceof CliError ? error.message : `Writing ${item.path} as ${item.scope}:${item.name} to RSE '${rse}' failed: ${(error as Error).message}`;
        }
        bar.itemDone();
      },
      ctx.io.signal,
    );
    bar.finish();
    ctx.checkAborted(`uploading to RSE '${rse}'`);
    const writeSeconds = (Date.now() - writing) / 1000;

    const written = items.filter((i) => i.status === 'written' || i.foundOnStorage);
    const states = await waitForReplicas(ctx, rse, written, opts.timeout);
    for (const item of items) item.state = item.status === 'skipped' && !item.foundOnStorage ? 'AVAILABLE' : item.status === 'failed' ? null : (states.get(`${item.scope}:${item.name}`) ?? null);

    const good = items.filter((i) => i.status !== 'failed');
    await setFilesMeta(ctx, good, meta);
    let datasetCreated = false;
    if (dataset && good.length > 0) {
      datasetCreated = await ensureDataset(ctx, dataset, { lifetime, meta });
      await attachMissing(ctx, dataset, good);
    }
    const available = items.filter((i) => i.state === 'AVAILABLE');
    const ruleAdded = opts.rule !== false && available.length === items.length;
    if (ruleAdded) await protectOnRse(ctx, dataset ? [dataset] : items, rse, lifetime);

    const rows = items.map((i) => ({
      did: `${i.scope}:${i.name}`,
      path: i.path,
      bytes: i.bytes,
      adler32: i.adler32,
      md5: i.md5,
      rse,
      action: i.status,
      state: i.state,
      error: i.error ?? null,
      via: i.via ?? null,
      fell_back_after: i.fellBackAfter ?? [],
    }));
    ctx.printList(rows, [
      { header: 'DID', value: (r) => r.did },
      { header: 'SIZE', value: (r) => formatBytes(r.bytes), align: 'right' },
      { header: 'ADLER32', value: (r) => r.adler32 },
      { header: 'ACTION', value: (r) => r.action },
      { header: 'STATE', value: (r) => r.state },
      ...(rows.some((r) => r.fell_back_after.length > 0) ? [{ header: 'VIA', value: (r: (typeof rows)[number]) => r.via ?? '' }] : []),
      ...(rows.some((r) => r.error) ? [{ header: 'ERROR', value: (r: (typeof rows)[number]) => r.error ?? '' }] : []),
    ]);
    ctx.note(uploadSummary({ items, rse, dataset, datasetCreated, lifetime, ruleAdded, noRule: opts.rule === false, writeSeconds, seconds: (Date.now() - started) / 1000 }));

    const failed = items.filter((i) => i.status === 'failed');
    if (failed.length > 0) {
      throw new CliError(
        `${failed.length} of ${items.length} file(s) could not be written to RSE '${rse}' (${failed[0].error}${failed.length > 1 ? '; ...' : ''}). ` +
          'Fix the cause and run the same command again: it skips what is done.',
        ExitCode.FAILURE,
      );
    }
    const bad = items.filter((i) => i.state === 'BAD');
    if (bad.length > 0) {
      throw new CliError(
        `${bad.length} replica(s) on RSE '${rse}' failed verification and are BAD (${bad.map((i) => `${i.scope}:${i.name}`).join(', ')}): run the same command again to write them again.`,
        ExitCode.VERIFICATION,
      );
    }
    const waiting = items.filter((i) => i.state !== 'AVAILABLE');
    if (waiting.length > 0) {
      throw new CliError(
        `${waiting.length} replica(s) on RSE '${rse}' were written but not verified within ${opts.timeout} s (${waiting.map((i) => `${i.scope}:${i.name}`).join(', ')}): ` +
          'run the same command later to finish (it waits again and skips what is done), or raise --timeout.',
        ExitCode.TIMEOUT,
      );
    }
  } finally {
    await rses.close();
  }
}

/**
 * Writes one file through the RSE's write protocols in turn until one takes it (each verifies size and checksums
 * before the file shows); the next protocol only when the failure was the door's, not the bytes' or the path's.
 */
async function writeThroughProtocols(
  ctx: CommandContext,
  fallback: CliProtocolFallback,
  rse: string,
  storages: readonly StorageProtocol[],
  item: UploadItem,
  path: string,
  rate: number | undefined,
  bar: ProgressBar,
): Promise<void> {
  const failures: string[] = [];
  for (const [i, storage] of storages.entries()) {
    const source = createReadStream(item.path);
    let sent = 0;
    const meter = new RateTransform(rate, (n) => {
      sent += n;
      bar.add(n);
    });
    // Destroyed without an error: no 'error' event that nobody listens to once the write has read its last byte.
    // A write still reading sees its source close early and fails, and the interrupt is reported as such.
    const onAbort = () => {
      source.destroy();
      meter.destroy();
    };
    ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // pipe() does not pass a read error on.
      source.on('error', (error) => meter.destroy(error));
      await storage.write(path, source.pipe(meter), { bytes: item.bytes, checksums: { adler32: item.adler32, md5: item.md5 } });
      item.via = storage.endpoint;
      if (failures.length > 0) item.fellBackAfter = failures;
      return;
    } catch (error) {
      source.destroy();
      bar.add(-sent);
      ctx.checkAborted(`uploading ${item.path} to RSE '${rse}'`);
      if (!ProtocolFallback.worthTrying(error) || i === storages.length - 1) {
        if (failures.length === 0) throw error;
        throw new Error(`${(error as Error).message} (after: ${failures.join('; ')})`);
      }
      failures.push(fallback.failed(rse, storage, error, storages[i + 1]));
    } finally {
      ctx.io.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * Whether a file of `bytes` bytes is already at `path` (an earlier run wrote it, then stopped before its replica was
 * verified). Writes publish whole files only, and the replica-registrar still checks its checksum before it is
 * AVAILABLE (BAD otherwise, and the next run writes it again), so the size is enough to not send it twice.
 */
async function sameSizeOnStorage(storages: readonly StorageProtocol[], path: string, bytes: number): Promise<boolean> {
  for (const storage of storages) {
    try {
      return (await storage.stat(path)).bytes === bytes;
    } catch {
      // not there, or this door cannot say: the next door, else write it
    }
  }
  return false;
}
