import type { Command } from 'commander';
import { collect, parseDidArg, parseDuration, parseKeyValues, parsePositiveInt, parseSize } from '../arguments.js';
import { createReadStream } from 'node:fs';
import { checksumFile } from '@tarn/checksums';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { attachMissing, ensureDataset, type FileDid, protectOnRse, replicaStates, setFilesMeta, waitForReplicas } from '../publish.js';
import { RseDirectory } from '../storage-access.js';
import { formatBytes } from '../table.js';
import { localFiles, RateTransform, runPool } from '../transfer-utils.js';

interface UploadItem extends FileDid {
  path: string;
  bytes: number;
  adler32: string;
  md5: string;
  status: 'pending' | 'skipped' | 'written';
  state?: string | null;
}

export function registerUploadCommand(program: Command, io: CliIo): void {
  program
    .command('upload <paths...>')
    .description('Upload files (directories: every file below) into a scope on an RSE, optionally into a dataset; re-running resumes')
    .requiredOption('-s, --scope <scope>', 'scope of the new files')
    .requiredOption('--rse <rse>', 'RSE to write to')
    .option('-d, --dataset <dataset>', 'dataset to attach the files to ([scope:]name; created if new)')
    .option('--lifetime <duration>', 'lifetime of a new dataset and of the upload rule (seconds, or 30d)')
    .option('--meta <key=value>', 'metadata of the files and of a new dataset (repeatable)', collect)
    .option('--parallel <n>', 'files written at once (default: config parallel, 4)')
    .option('--timeout <duration>', 'how long to wait for the verification of the replicas', '10m')
    .option('--limit-rate <rate>', 'bandwidth cap per file, bytes per second (or 10MB)')
    .option('--no-rule', 'do not add the rule that keeps the upload on the RSE')
    .action(act(io, upload));
}

async function upload(ctx: CommandContext, paths: string[], opts: Record<string, any>): Promise<void> {
  const scope: string = opts.scope;
  const rse: string = opts.rse;
  const dataset = opts.dataset ? parseDidArg(opts.dataset, scope) : undefined;
  const lifetime = opts.lifetime ? parseDuration(opts.lifetime, 'Lifetime') : undefined;
  const timeout = parseDuration(opts.timeout, 'Timeout');
  const meta = parseKeyValues(opts.meta, 'Metadata');
  const parallel = opts.parallel ? parsePositiveInt(opts.parallel, '--parallel') : ctx.config.parallel;
  const rate = opts.limitRate ? parseSize(opts.limitRate, '--limit-rate') : undefined;
  const files = await localFiles(paths, ctx.io.cwd);
  if (files.length === 0) throw new CliError(`Nothing to upload in ${paths.join(', ')}: no files found.`, ExitCode.USAGE);

  const rses = new RseDirectory(ctx.client, ctx.io.env);
  try {
    const protocol = await rses.protocol(rse, 'write');
    const storage = rses.storage(rse, protocol);

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
    await runPool(
      pending,
      parallel,
      async (item) => {
        const path = await rses.path(rse, item.scope, item.name);
        const source = createReadStream(item.path);
        const meter = new RateTransform(rate, (n) => bar.add(n));
        const onAbort = () => source.destroy(new Error('interrupted'));
        ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await storage.write(path, source.pipe(meter), { bytes: item.bytes, checksums: { adler32: item.adler32, md5: item.md5 } });
        } catch (error) {
          ctx.checkAborted(`uploading ${item.path} to RSE '${rse}'`);
          throw new CliError(`Writing ${item.path} as ${item.scope}:${item.name} to RSE '${rse}' failed: ${(error as Error).message}`, ExitCode.FAILURE);
        } finally {
          ctx.io.signal?.removeEventListener('abort', onAbort);
        }
        await ctx.client.request('PUT', '/replicas', {
          what: `Marking the replica of ${item.scope}:${item.name} on RSE '${rse}' written`,
          body: { rse, files: [{ scope: item.scope, name: item.name, state: 'A' }] },
        });
        item.status = 'written';
        bar.itemDone();
      },
      ctx.io.signal,
    );
    bar.finish();
    ctx.checkAborted(`uploading to RSE '${rse}'`);

    const written = items.filter((i) => i.status === 'written');
    const states = await waitForReplicas(ctx, rse, written, timeout);
    for (const item of items) item.state = item.status === 'skipped' ? 'AVAILABLE' : (states.get(`${item.scope}:${item.name}`) ?? null);

    await setFilesMeta(ctx, items, meta);
    if (dataset) {
      await ensureDataset(ctx, dataset, { lifetime, meta });
      await attachMissing(ctx, dataset, items);
    }
    const available = items.filter((i) => i.state === 'AVAILABLE');
    if (opts.rule !== false && available.length === items.length) {
      await protectOnRse(ctx, dataset ? [dataset] : items, rse, lifetime);
    }

    const rows = items.map((i) => ({ did: `${i.scope}:${i.name}`, path: i.path, bytes: i.bytes, adler32: i.adler32, md5: i.md5, rse, action: i.status, state: i.state }));
    ctx.printList(rows, [
      { header: 'DID', value: (r) => r.did },
      { header: 'SIZE', value: (r) => formatBytes(r.bytes), align: 'right' },
      { header: 'ADLER32', value: (r) => r.adler32 },
      { header: 'ACTION', value: (r) => r.action },
      { header: 'STATE', value: (r) => r.state },
    ]);
    const bad = items.filter((i) => i.state === 'BAD');
    if (bad.length > 0) {
      throw new CliError(
        `${bad.length} replica(s) on RSE '${rse}' failed verification and are BAD (${bad.map((i) => `${i.scope}:${i.name}`).join(', ')}): check the files and upload them again under new names.`,
        ExitCode.VERIFICATION,
      );
    }
    const waiting = items.filter((i) => i.state !== 'AVAILABLE');
    if (waiting.length > 0) {
      throw new CliError(
        `${waiting.length} replica(s) on RSE '${rse}' were written but not verified within ${opts.timeout} (${waiting.map((i) => `${i.scope}:${i.name}`).join(', ')}): ` +
          'run the same command later to finish (it waits again and skips what is done), or raise --timeout.',
        ExitCode.TIMEOUT,
      );
    }
  } finally {
    await rses.close();
  }
}
