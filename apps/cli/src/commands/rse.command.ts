import type { Command } from 'commander';
import { checked, collect, parseChoice, parseInteger, parseJsonObject, parseKeyValues, parseSize, scalar } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';

const rsePath = (rse: string) => `/rses/${encodeURIComponent(rse)}`;

/** Sizes: bytes, or with a unit (kB, MB, GB, TB, PB; decimal) e.g. 10TB. */
export function registerRseCommands(program: Command, io: CliIo): void {
  const rse = program.command('rse').description('Storage endpoints (RSEs): list, show, add, attributes, protocols, limits, usage, distances');

  rse
    .command('list')
    .description('RSEs, all or those an RSE expression selects')
    .option('-e, --expression <expression>', 'RSE expression, e.g. "QOS=SAFE&tier=1"')
    .action(
      act(io, async (ctx: CommandContext, opts: { expression?: string }) => {
        const what = opts.expression ? `Listing the RSEs of expression '${opts.expression}'` : 'Listing RSEs';
        const rows = await ctx.client.list<Record<string, any>>('GET', '/rses', { what, query: { expression: opts.expression } });
        ctx.printList(rows, [
          { header: 'RSE', value: (r) => r.rse },
          { header: 'TYPE', value: (r) => r.rse_type },
          { header: 'QOS', value: (r) => r.qos_class },
          { header: 'DETERMINISTIC', value: (r) => r.deterministic },
          { header: 'READ', value: (r) => r.availability_read },
          { header: 'WRITE', value: (r) => r.availability_write },
          { header: 'DELETE', value: (r) => r.availability_delete },
        ]);
      }),
    );

  rse
    .command('show <rse>')
    .description('An RSE: settings, attributes, protocols, limits')
    .action(
      act(io, async (ctx: CommandContext, name: string) => {
        const info = await ctx.client.json<Record<string, any>>('GET', rsePath(name), { what: `Showing RSE '${name}'` });
        const attributes = await ctx.client.json<Record<string, unknown>>('GET', `${rsePath(name)}/attr`, { what: `Reading the attributes of RSE '${name}'` });
        const limits = await ctx.client.json<Record<string, unknown>>('GET', `${rsePath(name)}/limits`, { what: `Reading the limits of RSE '${name}'` });
        if (ctx.json) return ctx.printJson({ ...info, attributes, limits });
        ctx.out(
          [
            `RSE:            ${info.rse}`,
            `type:           ${info.rse_type}${info.deterministic ? ', deterministic' : ', non-deterministic'}${info.volatile ? ', volatile' : ''}`,
            `QoS class:      ${info.qos_class ?? '-'}`,
            `availability:   read ${info.availability_read}, write ${info.availability_write}, delete ${info.availability_delete}`,
            `lfn2pfn:        ${info.lfn2pfn_algorithm}`,
            `attributes:     ${Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}`,
            `limits:         ${Object.entries(limits).map(([k, v]) => `${k}=${formatBytes(Number(v))}`).join(', ') || '-'}`,
            'protocols:',
            ...(info.protocols as Array<Record<string, any>>).map(
              (p) =>
                `  ${p.scheme}://${p.hostname}${p.port ? `:${p.port}` : ''}${p.prefix}  ` +
                Object.entries(p.domains ?? {})
                  .map(([domain, ops]) => `${domain}: ${Object.entries(ops as object).map(([op, prio]) => `${op}=${prio}`).join(' ')}`)
                  .join('; '),
            ),
          ].join('\n'),
        );
      }),
    );

  rse
    .command('add <rse>')
    .description('Add an RSE (administrators)')
    .option('--type <type>', 'DISK or TAPE', checked('--type', (t, w) => parseChoice(t, w, ['DISK', 'TAPE'])), 'DISK')
    .option('--non-deterministic', 'paths are given at registration, not computed from the DID')
    .option('--volatile', 'a cache: files may vanish')
    .option('--qos <class>', "QoS class, e.g. SAFE: the RSE's QOS attribute, which rules select with QOS=SAFE")
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { type: string; nonDeterministic?: boolean; volatile?: boolean; qos?: string }) => {
        await ctx.client.request('POST', rsePath(name), {
          what: `Adding RSE '${name}'`,
          body: { rse_type: opts.type, deterministic: !opts.nonDeterministic, volatile: Boolean(opts.volatile), ...(opts.qos ? { qos_class: opts.qos } : {}) },
        });
        ctx.note(`Added RSE ${name}.`);
      }),
    );

  rse
    .command('set-attr <rse> <key> <value>')
    .description('Set an RSE attribute (administrators); numbers and true/false are typed')
    .action(
      act(io, async (ctx: CommandContext, name: string, key: string, value: string) => {
        await ctx.client.request('POST', `${rsePath(name)}/attr/${encodeURIComponent(key)}`, {
          what: `Setting attribute ${key} of RSE '${name}'`,
          body: { value: scalar(value) },
        });
        ctx.note(`Set ${key}=${value} on RSE ${name}.`);
      }),
    );

  rse
    .command('del-attr <rse> <key>')
    .description('Delete an RSE attribute (administrators)')
    .action(
      act(io, async (ctx: CommandContext, name: string, key: string) => {
        await ctx.client.request('DELETE', `${rsePath(name)}/attr/${encodeURIComponent(key)}`, { what: `Deleting attribute ${key} of RSE '${name}'` });
        ctx.note(`Deleted attribute ${key} of RSE ${name}.`);
      }),
    );

  rse
    .command('add-protocol <rse>')
    .description('Add a protocol to an RSE (administrators), e.g. --scheme s3+https --hostname s3.site.org --port 443 --prefix /bucket/tarn')
    .requiredOption('--scheme <scheme>', 'file, s3, s3+https, s3+http, davs, https, dav, http, root, roots')
    .requiredOption('--prefix <prefix>', 'path prefix (s3: /bucket/key-prefix)')
    .option('--hostname <host>', 'host name', 'localhost')
    .option('--port <port>', 'port', checked('--port', (t, w) => parseInteger(t, w, 0, 65535)))
    .option('--impl <impl>', 'Rucio implementation class name (for the stock rucio client)')
    .option('--priority <n>', 'priority of read, write and delete, wan and lan (1 = preferred, 0 = not for that)', checked('--priority', (t, w) => parseInteger(t, w, 0)), 1)
    .option('--tpc <n>', 'third-party-copy priority (0 = none)', checked('--tpc', (t, w) => parseInteger(t, w, 0)), 1)
    .option('--domain-json <json>', 'full domains object, as rucio-admin takes it (overrides --priority/--tpc)', checked('--domain-json', (t, w) => parseJsonObject(t, w)))
    .option('--ext <key=value>', 'extended attribute (repeatable), e.g. --ext region=us-east-1', collect)
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: Record<string, any>) => {
        let domains: unknown;
        if (opts.domainJson) domains = opts.domainJson;
        else {
          const p = opts.priority;
          domains = {
            wan: { read: p, write: p, delete: p, third_party_copy_read: opts.tpc, third_party_copy_write: opts.tpc },
            lan: { read: p, write: p, delete: p },
          };
        }
        const ext = parseKeyValues(opts.ext, 'Extended attribute');
        await ctx.client.request('POST', `${rsePath(name)}/protocols/${encodeURIComponent(opts.scheme)}`, {
          what: `Adding protocol ${opts.scheme} to RSE '${name}'`,
          body: {
            hostname: opts.hostname,
            ...(opts.port !== undefined ? { port: opts.port } : {}),
            prefix: opts.prefix,
            impl: opts.impl ?? `rucio.rse.protocols.${opts.scheme.replace(/\W.*$/, '')}.Default`,
            domains,
            ...(Object.keys(ext).length > 0 ? { extended_attributes: ext } : {}),
          },
        });
        ctx.note(`Added protocol ${opts.scheme}://${opts.hostname}${opts.port ? `:${opts.port}` : ''}${opts.prefix} to RSE ${name}.`);
      }),
    );

  rse
    .command('set-limit <rse> <name>')
    .description('Set a limit (administrators): MinFreeSpace or MaxBytes, in bytes or with a unit (10TB)')
    .argument('<value>', 'bytes, or with a unit (10TB)', checked('the limit', parseSize))
    .action(
      act(io, async (ctx: CommandContext, name: string, limit: string, value: number) => {
        await ctx.client.request('PUT', `${rsePath(name)}/limits`, { what: `Setting limit ${limit} of RSE '${name}'`, body: { name: limit, value } });
        ctx.note(`Set ${limit}=${value} on RSE ${name}.`);
      }),
    );

  rse
    .command('usage <rse>')
    .description('Used and free space of an RSE, per source')
    .action(
      act(io, async (ctx: CommandContext, name: string) => {
        const rows = await ctx.client.list<Record<string, any>>('GET', `${rsePath(name)}/usage`, { what: `Reading the usage of RSE '${name}'` });
        ctx.printList(rows, [
          { header: 'SOURCE', value: (r) => r.source },
          { header: 'USED', value: (r) => formatBytes(r.used), align: 'right' },
          { header: 'FREE', value: (r) => (r.free === null ? '-' : formatBytes(r.free)), align: 'right' },
          { header: 'FILES', value: (r) => r.files, align: 'right' },
          { header: 'UPDATED', value: (r) => r.updated_at },
        ]);
      }),
    );

  rse
    .command('distance <source> <destination>')
    .argument('[distance]', 'a whole number >= 0 to set it', checked('The distance', (t, w) => parseInteger(t, w, 0)))
    .description('Show the distance between two RSEs, or set it (administrators; lower is preferred as a source)')
    .action(
      act(io, async (ctx: CommandContext, source: string, destination: string, distance?: number) => {
        const path = `${rsePath(source)}/distances/${encodeURIComponent(destination)}`;
        const what = `the distance from RSE '${source}' to '${destination}'`;
        if (distance !== undefined) {
          const value = distance;
          const existing = await ctx.client.json<unknown[]>('GET', path, { what: `Reading ${what}` });
          await ctx.client.request(existing.length > 0 ? 'PUT' : 'POST', path, { what: `Setting ${what}`, body: { distance: value } });
          ctx.note(`Set the distance from ${source} to ${destination} to ${value}.`);
          return;
        }
        const rows = await ctx.client.json<Array<Record<string, any>>>('GET', path, { what: `Reading ${what}` });
        ctx.printList(rows, [
          { header: 'SOURCE', value: () => source },
          { header: 'DESTINATION', value: () => destination },
          { header: 'DISTANCE', value: (r) => r.distance, align: 'right' },
        ]);
      }),
    );
}
