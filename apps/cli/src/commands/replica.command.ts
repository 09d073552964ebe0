import type { Command } from 'commander';
import { parseDidArg } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';

type Row = Record<string, any>;

export function registerReplicaCommands(program: Command, io: CliIo): void {
  const replica = program.command('replica').description('File replicas: list, declare bad');

  replica
    .command('list <dids...>')
    .description('The replicas of files, datasets or containers: RSE, state, PFN')
    .option('--all-states', 'also replicas being copied, bad or unavailable')
    .option('--rses <expression>', 'only on these RSEs')
    .action(
      act(io, async (ctx: CommandContext, didTexts: string[], opts: { allStates?: boolean; rses?: string }) => {
        const dids = didTexts.map((t) => parseDidArg(t));
        const bar = ctx.progress('listing replicas', null, 'items');
        const rows: Row[] = [];
        for await (const file of ctx.client.ndjson<Row>('POST', '/replicas/list', {
          what: `Listing the replicas of ${didTexts.join(', ')}`,
          body: { dids, all_states: Boolean(opts.allStates), ...(opts.rses ? { rse_expression: opts.rses } : {}), ignore_availability: true },
        })) {
          bar.add(1);
          const rses = Object.keys(file.states ?? {});
          if (rses.length === 0) rows.push({ scope: file.scope, name: file.name, bytes: file.bytes, adler32: file.adler32, rse: null, state: null, pfn: null });
          for (const rse of rses.sort()) {
            rows.push({ scope: file.scope, name: file.name, bytes: file.bytes, adler32: file.adler32, rse, state: file.states[rse], pfn: file.rses?.[rse]?.[0] ?? null });
          }
        }
        bar.finish();
        ctx.printList(rows, [
          { header: 'FILE', value: (r) => `${r.scope}:${r.name}` },
          { header: 'SIZE', value: (r) => formatBytes(r.bytes), align: 'right' },
          { header: 'ADLER32', value: (r) => r.adler32 },
          { header: 'RSE', value: (r) => r.rse },
          { header: 'STATE', value: (r) => r.state },
          { header: 'PFN', value: (r) => r.pfn },
        ]);
      }),
    );

  replica
    .command('declare-bad <dids...>')
    .description('Declare the replicas of files on an RSE bad (administrators); they are recovered from other copies')
    .requiredOption('--rse <rse>', 'the RSE that holds the bad replicas')
    .requiredOption('--reason <text>', 'why (kept with the declaration)')
    .action(
      act(io, async (ctx: CommandContext, didTexts: string[], opts: { rse: string; reason: string }) => {
        const dids = didTexts.map((t) => parseDidArg(t));
        const notDeclared = await ctx.client.json<string[]>('POST', '/replicas/bad/dids', {
          what: `Declaring ${didTexts.length} replica(s) on RSE '${opts.rse}' bad`,
          body: { dids, rse: opts.rse, reason: opts.reason },
        });
        if (ctx.json) ctx.printJson({ declared: dids.length - notDeclared.length, not_declared: notDeclared });
        else ctx.note(`Declared ${dids.length - notDeclared.length} replica(s) on ${opts.rse} bad.`);
        if (notDeclared.length > 0) {
          throw new CliError(`${notDeclared.length} replica(s) on RSE '${opts.rse}' were not declared bad: ${notDeclared.join('; ')}. Check the DIDs and the RSE.`, ExitCode.NOT_FOUND);
        }
      }),
    );
}
