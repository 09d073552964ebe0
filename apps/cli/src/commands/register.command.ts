import type { Command } from 'commander';
import { checksumStream } from '@tarn/checksums';
import { didNameProblem } from '@tarn/domain';
import { ProtocolFallback, type StorageProtocol } from '@tarn/storage';
import { checked, collect, parseDidArg, parseDuration, parseHex, parseKeyValues, parseLifetime, parsePositiveInt, parseSize } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode, type ExitCodeValue } from '../errors.js';
import type { CliIo } from '../io.js';
import { attachMissing, ensureDataset, protectOnRse, type ReplicaStates, replicaStates, setFilesMeta, waitForReplicas } from '../publish.js';
import { CliProtocolFallback, RseDirectory } from '../storage-access.js';
import { formatBytes } from '../table.js';
import { runPool } from '../transfer-utils.js';
import { DidNamer, namingOptions } from './did-naming.js';

interface Registration {
  scope: string;
  name: string;
  /** The path on the RSE, relative to the protocol prefix. */
  path: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  action: 'registered' | 'skipped' | 'failed';
  state?: string | null;
  error?: string;
  exitCode?: ExitCodeValue;
}

export function registerRegisterCommand(program: Command, io: CliIo): void {
  const command = program
    .command('register <files...>')
    .description(
      'Register files already on an RSE (no copy). Deterministic RSEs: give DIDs ([scope:]name, at their lfn2pfn path); ' +
        'non-deterministic RSEs: give paths relative to the protocol prefix (the name: --did-name, default the base name). ' +
        'A name already registered is skipped only when it is the same file (same path, or same size and checksums); ' +
        'any other file under that name fails, and tarn exits non-zero',
    )
    .requiredOption('--rse <rse>', 'the RSE that holds the files')
    .option('-s, --scope <scope>', 'scope of the files (not needed for DIDs given as scope:name)')
    .option('-d, --dataset <dataset>', 'dataset to attach them to ([scope:]name; created if new)')
    .option('--bytes <n>', 'size (one file only; default: from the storage)', checked('--bytes', parseSize))
    .option('--adler32 <hex>', 'adler32 (one file only; default: computed by reading the storage)', checked('--adler32', (t, w) => parseHex(t, w, 8)))
    .option('--md5 <hex>', 'md5 (one file only)', checked('--md5', (t, w) => parseHex(t, w, 32)))
    .option('--lifetime <duration>', 'lifetime of a new dataset and of the rule: a duration (30d, 48h, "2 days") or an expiry date (2027-01-31)', checked('--lifetime', parseLifetime))
    .option('--meta <key=value>', 'metadata of the files (repeatable)', collect)
    .option('--parallel <n>', 'files checksummed at once', checked('--parallel', parsePositiveInt))
    .option('--timeout <duration>', 'how long to wait for the verification', checked('--timeout', parseDuration), 600);
  namingOptions(command).option('--no-rule', 'do not add the rule that keeps the files on the RSE').action(act(io, register));
}

const key = (d: { scope: string; name: string }) => `${d.scope}:${d.name}`;

async function register(ctx: CommandContext, args: string[], opts: Record<string, any>): Promise<void> {
  const rse: string = opts.rse;
  const scope: string | undefined = opts.scope;
  if ((opts.bytes !== undefined || opts.adler32 || opts.md5) && args.length !== 1) {
    throw new CliError('--bytes, --adler32 and --md5 describe one file: register files one by one to give them, or let tarn compute them.', ExitCode.USAGE);
  }
  const parallel: number = opts.parallel ?? ctx.config.parallel;
  const meta = parseKeyValues(opts.meta, 'Metadata');
  const dataset = opts.dataset ? parseDidArg(opts.dataset, scope) : undefined;
  const namer = new DidNamer(opts.didName, opts.pattern);
  const rses = new RseDirectory(ctx.client, ctx.io.env);
  try {
    const info = await rses.info(rse);
    if (info.deterministic && namer.given) {
      throw new CliError(`RSE '${rse}' is deterministic: files sit at the path of their DID name, so give DIDs, not --did-name or --pattern.`, ExitCode.USAGE);
    }
    const targets = args.map((arg) => {
      if (info.deterministic) return { ...parseDidArg(arg, scope), path: null as string | null };
      if (!scope) throw new CliError(`RSE '${rse}' is non-deterministic: files are given by path, so give their scope with --scope.`, ExitCode.USAGE);
      const path = arg.replace(/^\/+/, '');
      return { scope, name: namer.name(path), path };
    });
    assertDistinctNames(targets, args);
    const doors = { storages: (await rses.protocols(rse, 'read')).map((p) => rses.storage(rse, p)), fallback: new CliProtocolFallback((text) => ctx.note(text)) };
    const known = await replicaStates(ctx, rse, targets);
    const bar = ctx.progress(`checksums on ${rse}`, null, 'bytes', targets.length);
    const items = (await runPool(
      targets,
      parallel,
      async (t): Promise<Registration> => {
        const item = await examine(ctx, rses, doors, rse, { ...t, path: t.path ?? (await rses.path(rse, t.scope, t.name)) }, known, opts);
        if (item.bytes !== null) bar.add(item.bytes);
        bar.itemDone();
        return item;
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
      const states = await waitForReplicas(ctx, rse, fresh, opts.timeout);
      for (const i of fresh) i.state = states.get(key(i)) ?? null;
    }
    const good = items.filter((i) => i.action !== 'failed');
    await setFilesMeta(ctx, good, meta);
    if (dataset && good.length > 0) {
      await ensureDataset(ctx, dataset, { lifetime: opts.lifetime, meta });
      await attachMissing(ctx, dataset, good);
    }
    if (opts.rule !== false && good.length === items.length && items.every((i) => i.state === 'AVAILABLE')) {
      await protectOnRse(ctx, dataset ? [dataset] : items, rse, opts.lifetime);
    }
    ctx.printList(items, [
      { header: 'DID', value: (i) => key(i) },
      { header: 'PATH', value: (i) => i.path },
      { header: 'SIZE', value: (i) => formatBytes(i.bytes), align: 'right' },
      { header: 'ADLER32', value: (i) => i.adler32 },
      { header: 'ACTION', value: (i) => i.action },
      { header: 'STATE', value: (i) => i.state },
      { header: 'ERROR', value: (i) => i.error ?? '' },
    ]);
    const failed = items.filter((i) => i.action === 'failed');
    if (failed.length > 0) {
      throw new CliError(
        `${failed.length} of ${items.length} file(s) were not registered: ${failed.slice(0, 3).map((i) => `${key(i)}: ${i.error}`).join('; ')}${failed.length > 3 ? '; ...' : ''}`,
        failed[0].exitCode ?? ExitCode.FAILURE,
      );
    }
    const bad = items.filter((i) => i.state === 'BAD');
    if (bad.length > 0) {
      throw new CliError(`${bad.length} registered replica(s) on RSE '${rse}' failed verification (${bad.map(key).join(', ')}): the checksums given do not match the storage.`, ExitCode.VERIFICATION);
    }
    const waiting = items.filter((i) => i.state !== 'AVAILABLE');
    if (waiting.length > 0) {
      throw new CliError(`${waiting.length} replica(s) on RSE '${rse}' are not verified yet (${waiting.map(key).join(', ')}): run the same command later, or raise --timeout.`, ExitCode.TIMEOUT);
    }
  } finally {
    await rses.close();
  }
}

/** Two arguments that would register under one name: refused before anything is done. */
function assertDistinctNames(targets: ReadonlyArray<{ scope: string; name: string; path: string | null }>, args: readonly string[]): void {
  const seen = new Map<string, string>();
  targets.forEach((t, i) => {
    const problem = didNameProblem(t.name);
    if (problem) throw new CliError(`'${args[i]}' would be registered as '${t.name}', which is not a valid DID name: ${problem}. Choose names with --did-name.`, ExitCode.USAGE);
    const other = seen.get(key(t));
    if (other !== undefined) {
      throw new CliError(
        `'${other}' and '${args[i]}' would both be registered as ${key(t)}: build distinct names from the path, e.g. --did-name '{path}' or --did-name '{dir}.{basename}' with a --pattern.`,
        ExitCode.USAGE,
      );
    }
    seen.set(key(t), args[i]);
  });
}

/**
 * What to do with one file: register it, skip it (the very file is registered already), or fail it (not on the
 * storage, or its name is taken by other content). A name already registered is compared by path (the same file)
 * or, from another path, by size and checksums read from the storage.
 */
async function examine(
  ctx: CommandContext,
  rses: RseDirectory,
  doors: { storages: StorageProtocol[]; fallback: CliProtocolFallback },
  rse: string,
  t: { scope: string; name: string; path: string },
  known: ReplicaStates,
  opts: Record<string, any>,
): Promise<Registration> {
  const entry = known.get(key(t))!;
  const fail = (error: string, exitCode: ExitCodeValue): Registration => ({ ...t, bytes: null, adler32: null, md5: null, action: 'failed', error, exitCode });
  // Through the RSE's read protocols by priority: the next one when one fails.
  const through = async <T>(op: (storage: StorageProtocol) => Promise<T>): Promise<{ value: T; storage: StorageProtocol }> => {
    const storages = doors.fallback.order(doors.storages, (s) => s);
    for (const [i, storage] of storages.entries()) {
      try {
        return { value: await op(storage), storage };
      } catch (error) {
        if (!ProtocolFallback.worthTrying(error) || i === storages.length - 1) throw Object.assign(error as Error, { endpoint: storage.endpoint });
        doors.fallback.failed(rse, storage, error, storages[i + 1]);
      }
    }
    throw new Error(`RSE '${rse}' has no protocol to read with`);
  };
  let stat;
  try {
    stat = (await through((s) => s.stat(t.path))).value;
  } catch (error) {
    return fail(`not on RSE '${rse}' at ${(error as { endpoint?: string }).endpoint ?? ''}${t.path} (${(error as Error).message}); upload it with 'tarn upload' instead`, ExitCode.NOT_FOUND);
  }
  const did = key(t);
  if (entry.exists && entry.state !== null) {
    const registeredAt = await Promise.all(entry.pfns.map(async (pfn) => (await rses.resolvePfn(rse, pfn))?.path ?? null));
    if (registeredAt.some((p) => p !== null && stripSlashes(p) === stripSlashes(t.path))) {
      if (entry.bytes !== null && entry.bytes !== stat.bytes) {
        return fail(`${did} is registered here with ${entry.bytes} bytes, but the file now has ${stat.bytes}: it changed on storage; declare the replica bad, or register the new content under another name`, ExitCode.EXISTS);
      }
      return { ...t, bytes: entry.bytes, adler32: entry.adler32, md5: entry.md5, action: 'skipped', state: entry.state };
    }
  }
  // The storage's own adler32 (XRootD, WebDAV with Digest) spares reading the file; otherwise it is read and checksummed.
  let sums: { bytes: number; adler32?: string | null; md5?: string | null } = {
    bytes: opts.bytes ?? stat.bytes,
    adler32: opts.adler32 ?? stat.checksums?.adler32 ?? null,
    md5: opts.md5 ?? stat.checksums?.md5 ?? null,
  };
  if (!sums.adler32) sums = (await through(async (s) => checksumStream(await s.read(t.path), ['adler32', 'md5']))).value;
  const sameContent =
    entry.bytes === sums.bytes && (!entry.adler32 || entry.adler32 === sums.adler32) && (!entry.md5 || !sums.md5 || entry.md5 === sums.md5);
  if (entry.exists && !sameContent) {
    return fail(
      `${did} already exists with other content (${entry.bytes} bytes, adler32 ${entry.adler32 ?? '-'}; this file has ${sums.bytes} bytes, adler32 ${sums.adler32 ?? '-'}). ` +
        "DID names are never reused: give this file another name (--did-name, e.g. '{path}')",
      ExitCode.EXISTS,
    );
  }
  const registered = { ...t, bytes: sums.bytes, adler32: sums.adler32 ?? null, md5: sums.md5 ?? null };
  // The same content already registered here from another path: nothing to add (one replica per file and RSE).
  if (entry.exists && entry.state !== null) return { ...registered, action: 'skipped', state: entry.state };
  ctx.checkAborted(`registering files on RSE '${rse}'`);
  return { ...registered, action: 'registered' };
}

const stripSlashes = (path: string) => path.replace(/^\/+/, '');
