import type { Command } from 'commander';
import { collect, parseDidArg, parseDuration, parseKeyValues, parsePositiveInt } from '../arguments.js';
import { basename } from 'node:path';
import { checksumStream } from '@tarn/checksums';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { attachMissing, ensureDataset, protectOnRse, replicaStates, setFilesMeta, waitForReplicas } from '../publish.js';
import { RseDirectory } from '../storage-access.js';
import { formatBytes } from '../table.js';
import { runPool } from '../transfer-utils.js';

interface Registration {
  scope: string;
  name: string;
  path: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  action: 'registered' | 'skipped';
  state?: string | null;
}

export function registerRegisterCommand(program: Command, io: CliIo): void {
  program
    .command('register <files...>')
    .description(
      'Register files already on an RSE (no copy). Deterministic RSEs: give DIDs ([scope:]name, at their lfn2pfn path); ' +
        'non-deterministic RSEs: give paths relative to the protocol prefix (the name is the base name)',
    )
    .requiredOption('--rse <rse>', 'the RSE that holds the files')
    .requiredOption('-s, --scope <scope>', 'scope of the files')
    .option('-d, --dataset <dataset>', 'dataset to attach them to ([scope:]name; created if new)')
    .option('--bytes <n>', 'size (one file only; default: from the storage)', (v) => Number(v))
    .option('--adler32 <hex>', 'adler32 (one file only; default: computed by reading the storage)')
    .option('--md5 <hex>', 'md5 (one file only)')
    .option('--lifetime <duration>', 'lifetime of a new dataset and of the rule (seconds, or 30d)')
    .option('--meta <key=value>', 'metadata of the files (repeatable)', collect)
    .option('--parallel <n>', 'files checksummed at once')
    .option('--timeout <duration>', 'how long to wait for the verification', '10m')
    .option('--no-rule', 'do not add the rule that keeps the files on the RSE')
    .action(act(io, register));
}

async function register(ctx: CommandContext, args: string[], opts: Record<string, any>): Promise<void> {
  const rse: string = opts.rse;
  const scope: string = opts.scope;
  if ((opts.bytes !== undefined || opts.adler32 || opts.md5) && args.length !== 1) {
    throw new CliError('--bytes, --adler32 and --md5 describe one file: register files one by one to give them, or let tarn compute them.', ExitCode.USAGE);
  }
  const parallel = opts.parallel ? parsePositiveInt(opts.parallel, '--parallel') : ctx.config.parallel;
  const lifetime = opts.lifetime ? parseDuration(opts.lifetime, 'Lifetime') : undefined;
  const meta = parseKeyValues(opts.meta, 'Metadata');
  const dataset = opts.dataset ? parseDidArg(opts.dataset, scope) : undefined;
  const rses = new RseDirectory(ctx.client, ctx.io.env);
  try {
    const info = await rses.info(rse);
    const storage = rses.storage(rse, await rses.protocol(rse, 'read'));
    const targets = args.map((arg) => {
      if (info.deterministic) {
        const did = parseDidArg(arg, scope);
        return { scope: did.scope, name: did.name, path: null as string | null };
      }
      return { scope, name: basename(arg), path: arg.replace(/^\/+/, '') };
    });
    const known = await replicaStates(ctx, rse, targets);
    const bar = ctx.progress(`checksums on ${rse}`, null, 'bytes', targets.length);
    const items = (await runPool(
      targets,
      parallel,
      async (t): Promise<Registration> => {
        const path = t.path ?? (await rses.path(rse, t.scope, t.name));
        const entry = known.get(`${t.scope}:${t.name}`);
        if (entry?.state === 'AVAILABLE') {
          bar.itemDone();
          return { ...t, path, bytes: entry.bytes ?? 0, adler32: entry.adler32, md5: entry.md5, action: 'skipped', state: 'AVAILABLE' };
        }
        let stat;
        try {
          stat = await storage.stat(path);
        } catch (error) {
          throw new CliError(`${t.scope}:${t.name} is not on RSE '${rse}' at ${storage.endpoint}${path} (${(error as Error).message}). Upload it with 'tarn upload' instead.`, ExitCode.NOT_FOUND);
        }
        let sums: { bytes: number; adler32?: string | null; md5?: string | null } = { bytes: opts.bytes ?? stat.bytes, adler32: opts.adler32 ?? null, md5: opts.md5 ?? null };
        if (!sums.adler32) sums = await checksumStream(await storage.read(path), ['adler32', 'md5']);
        bar.add(sums.bytes);
        bar.itemDone();
        return { ...t, path, bytes: sums.bytes, adler32: sums.adler32 ?? null, md5: sums.md5 ?? null, action: 'registered' };
      },
      ctx.io.signal,
    )) as Registration[];
    bar.finish();
    ctx.checkAborted(`registering files on RSE '${rse}'`);
    const fresh = items.filter((i) => i.action === 'registered');
    if (fresh.length > 0) {
      await ctx.client.request('POST', '/replicas', {
        what: `Registering ${fresh.length} replica(s) on RSE '${rse}'`,
        body: {
          rse,
          files: fresh.map((i) => ({ scope: i.scope, name: i.name, bytes: i.bytes, adler32: i.adler32, md5: i.md5, ...(info.deterministic ? {} : { path: i.path }) })),
        },
      });
      const states = await waitForReplicas(ctx, rse, fresh, parseDuration(opts.timeout, 'Timeout'));
      for (const i of fresh) i.state = states.get(`${i.scope}:${i.name}`) ?? null;
    }
    await setFilesMeta(ctx, items, meta);
    if (dataset) {
      await ensureDataset(ctx, dataset, { lifetime, meta });
      await attachMissing(ctx, dataset, items);
    }
    if (opts.rule !== false && items.every((i) => i.state === 'AVAILABLE')) await protectOnRse(ctx, dataset ? [dataset] : items, rse, lifetime);
    ctx.printList(items, [
      { header: 'DID', value: (i) => `${i.scope}:${i.name}` },
      { header: 'SIZE', value: (i) => formatBytes(i.bytes), align: 'right' },
      { header: 'ADLER32', value: (i) => i.adler32 },
      { header: 'ACTION', value: (i) => i.action },
      { header: 'STATE', value: (i) => i.state },
    ]);
    const bad = items.filter((i) => i.state === 'BAD');
    if (bad.length > 0) {
      throw new CliError(`${bad.length} registered replica(s) on RSE '${rse}' failed verification (${bad.map((i) => `${i.scope}:${i.name}`).join(', ')}): the checksums given do not match the storage.`, ExitCode.VERIFICATION);
    }
    const waiting = items.filter((i) => i.state !== 'AVAILABLE');
    if (waiting.length > 0) {
      throw new CliError(`${waiting.length} replica(s) on RSE '${rse}' are not verified yet (${waiting.map((i) => `${i.scope}:${i.name}`).join(', ')}): run the same command later, or raise --timeout.`, ExitCode.TIMEOUT);
    }
  } finally {
    await rses.close();
  }
}
