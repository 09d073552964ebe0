import type { Command } from 'commander';
import { checked, collect, type Expiry, expiryBody, parseChoice, parseDidArg, parseHex, parseInteger, parseKeyValues, parseLifetime } from '../arguments.js';
import { didPath } from '../api-client.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';
import { parseDidFilters } from '../arguments.js';

interface DidRow {
  scope: string;
  name: string;
  type: string;
  bytes?: number | null;
  level?: number;
  parent?: string | null;
}

const didText = (d: { scope: string; name: string }) => `${d.scope}:${d.name}`;

/** The content of a collection, depth first; collections below are expanded when recursive. */
async function* contentOf(ctx: CommandContext, did: { scope: string; name: string }, recursive: boolean, level = 0): AsyncGenerator<DidRow> {
  const rows = await ctx.client.list<Record<string, any>>('GET', `/dids/${didPath(did.scope, did.name)}/dids`, { what: `Listing the content of ${didText(did)}` });
  for (const row of rows) {
    yield { scope: row.scope, name: row.name, type: row.type, bytes: row.bytes, level, parent: didText(did) };
    if (recursive && row.type !== 'FILE') yield* contentOf(ctx, row as { scope: string; name: string }, true, level + 1);
  }
}

export function registerDidCommands(program: Command, io: CliIo): void {
  const did = program.command('did').description('Data identifiers: files, datasets, containers');

  did
    .command('add <did>')
    .description('Add a dataset or container, or a file with its replica on an RSE (--rse, --bytes, --adler32)')
    .option('-t, --type <type>', 'dataset, container or file', checked('--type', (t, w) => parseChoice(t, w, ['DATASET', 'CONTAINER', 'FILE'])), 'DATASET')
    .option('--lifetime <lifetime>', 'the DID expires: a duration (30d, 48h, "2 days") or an expiry date (2027-01-31)', checked('--lifetime', parseLifetime))
    .option('--meta <key=value>', 'metadata (repeatable)', collect)
    .option('--rse <rse>', 'file: the RSE that holds it')
    .option('--bytes <n>', 'file: size in bytes', checked('--bytes', (t, w) => parseInteger(t, w, 0)))
    .option('--adler32 <hex>', 'file: adler32 (8 hex digits)', checked('--adler32', (t, w) => parseHex(t, w, 8)))
    .option('--md5 <hex>', 'file: md5 (32 hex digits)', checked('--md5', (t, w) => parseHex(t, w, 32)))
    .action(
      act(io, async (ctx: CommandContext, text: string, opts: Record<string, any>) => {
        const { scope, name } = parseDidArg(text);
        const type: string = opts.type;
        const meta = parseKeyValues(opts.meta, 'Metadata');
        const lifetime: Expiry | undefined = opts.lifetime;
        if (type === 'FILE') {
          if (!opts.rse || opts.bytes === undefined) {
            throw new CliError(`A file DID (${text}) is added with its replica: give --rse, --bytes and --adler32 (or use 'tarn upload' / 'tarn register').`, ExitCode.USAGE);
          }
          await ctx.client.request('POST', '/replicas', {
            what: `Adding file ${text} on RSE '${opts.rse}'`,
            body: { rse: opts.rse, files: [{ scope, name, bytes: opts.bytes, adler32: opts.adler32 ?? null, md5: opts.md5 ?? null }] },
          });
          const fileMeta = { ...meta, ...(lifetime !== undefined ? { lifetime: lifetime.seconds } : {}) };
          if (Object.keys(fileMeta).length > 0) {
            await ctx.client.request('POST', `/dids/${didPath(scope, name)}/meta`, { what: `Setting the metadata of ${text}`, body: { meta: fileMeta } });
          }
        } else {
          await ctx.client.request('POST', `/dids/${didPath(scope, name)}`, {
            what: `Adding ${type.toLowerCase()} ${text}`,
            body: { type, ...expiryBody(lifetime, 'expired_at'), ...(Object.keys(meta).length > 0 ? { meta } : {}) },
          });
        }
        ctx.note(`Added ${type.toLowerCase()} ${text}.`);
      }),
    );

  for (const [verb, method, description] of [
    ['attach', 'POST', 'Attach DIDs to a dataset or container'],
    ['detach', 'DELETE', 'Detach DIDs from a dataset or container'],
  ] as const) {
    did
      .command(`${verb} <collection> <dids...>`)
      .description(description)
      .action(
        act(io, async (ctx: CommandContext, collectionText: string, didTexts: string[]) => {
          const collection = parseDidArg(collectionText);
          const dids = didTexts.map((t) => parseDidArg(t, collection.scope));
          await ctx.client.request(method, `/dids/${didPath(collection.scope, collection.name)}/dids`, {
            what: `${verb === 'attach' ? 'Attaching' : 'Detaching'} ${dids.length} DID(s) ${verb === 'attach' ? 'to' : 'from'} ${collectionText}`,
            body: { dids },
          });
          ctx.note(`${verb === 'attach' ? 'Attached' : 'Detached'} ${dids.length} DID(s) ${verb === 'attach' ? 'to' : 'from'} ${collectionText}.`);
        }),
      );
  }

  did
    .command('list <scope-or-did>')
    .description('DIDs of a scope (name patterns with *, metadata filters), or the content of a collection (scope:name)')
    .option('-f, --filter <filter>', 'metadata filter, e.g. "run>=5", "type=raw,name=run*" (repeatable; all must hold)', collect)
    .option('-t, --type <type>', 'all, collection, dataset, container or file (scope listings)', checked('--type', (t, w) => parseChoice(t, w, ['all', 'collection', 'dataset', 'container', 'file'])), 'collection')
    .option('-r, --recursive', 'also list the content of the collections, down to the files')
    .action(
      act(io, async (ctx: CommandContext, target: string, opts: { filter?: string[]; type: string; recursive?: boolean }) => {
        const filter = parseDidFilters(opts.filter ?? []);
        const colon = target.indexOf(':');
        const scope = colon > 0 ? target.slice(0, colon) : target;
        const namePart = colon > 0 ? target.slice(colon + 1) : '';
        const rows: DidRow[] = [];
        const bar = ctx.progress(`listing ${target}`, null, 'items');
        if (namePart && !namePart.includes('*') && !opts.filter) {
          for await (const row of contentOf(ctx, { scope, name: namePart }, Boolean(opts.recursive))) {
            rows.push(row);
            bar.add(1);
          }
        } else {
          if (namePart) filter.name = namePart;
          const query = { filters: JSON.stringify([filter]), type: opts.type, long: 'True' };
          for await (const row of ctx.client.ndjson<Record<string, any>>('GET', `/dids/${encodeURIComponent(scope)}/dids/search`, {
            what: `Searching the DIDs of scope '${scope}'`,
            query,
          })) {
            const found: DidRow = { scope: row.scope, name: row.name, type: row.did_type, bytes: row.bytes, level: 0, parent: null };
            rows.push(found);
            bar.add(1);
            if (opts.recursive && found.type !== 'FILE') {
              for await (const inner of contentOf(ctx, found, true, 1)) {
                rows.push(inner);
                bar.add(1);
              }
            }
          }
        }
        bar.finish();
        ctx.printList(rows, [
          { header: 'DID', value: (r) => `${'  '.repeat(r.level ?? 0)}${r.scope}:${r.name}` },
          { header: 'TYPE', value: (r) => r.type },
          { header: 'SIZE', value: (r) => formatBytes(r.bytes), align: 'right' },
        ]);
      }),
    );

  did
    .command('show <did>')
    .description("A DID's properties and metadata")
    .action(
      act(io, async (ctx: CommandContext, text: string) => {
        const { scope, name } = parseDidArg(text);
        const props = await ctx.client.json<Record<string, unknown>>('GET', `/dids/${didPath(scope, name)}`, { what: `Showing ${text}`, query: { dynamic_depth: 'FILE' } });
        const meta = await ctx.client.json<Record<string, unknown>>('GET', `/dids/${didPath(scope, name)}/meta`, { what: `Reading the metadata of ${text}`, query: { plugin: 'JSON' } });
        if (ctx.json) return ctx.printJson({ ...props, meta });
        ctx.printRecord({ ...props, ...(props.bytes !== undefined ? { size: formatBytes(props.bytes as number) } : {}), meta });
      }),
    );

  did
    .command('set-meta <did> <pairs...>')
    .description('Set metadata key=value pairs (the key lifetime sets the expiry, in seconds)')
    .action(
      act(io, async (ctx: CommandContext, text: string, pairs: string[]) => {
        const { scope, name } = parseDidArg(text);
        const meta = parseKeyValues(pairs, 'Metadata');
        await ctx.client.request('POST', `/dids/${didPath(scope, name)}/meta`, { what: `Setting the metadata of ${text}`, body: { meta } });
        ctx.note(`Set ${Object.keys(meta).join(', ')} on ${text}.`);
      }),
    );

  did
    .command('close <did>')
    .description('Close a dataset or container: no more attachments')
    .action(
      act(io, async (ctx: CommandContext, text: string) => {
        const { scope, name } = parseDidArg(text);
        await ctx.client.request('PUT', `/dids/${didPath(scope, name)}/status`, { what: `Closing ${text}`, body: { open: false } });
        ctx.note(`Closed ${text}.`);
      }),
    );
}
