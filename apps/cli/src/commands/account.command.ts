import type { Command } from 'commander';
import { act, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';

const NO_LIMIT = 'no limit';

const limitText = (value: unknown) => (value === NO_LIMIT ? NO_LIMIT : value === 'Infinity' || value === null || value === undefined || value === -1 ? 'unlimited' : formatBytes(Number(value)));

export function registerAccountCommands(program: Command, io: CliIo): void {
  const account = program.command('account').description("Accounts: what an account's rules use, and its limits");

  account
    .command('usage [account]')
    .description('Bytes and files held by the rules of an account, per RSE and per expression limit (default: yours)')
    .action(
      act(io, async (ctx: CommandContext, name?: string) => {
        const who = name ?? ctx.client.account;
        const base = `/accounts/${encodeURIComponent(who)}/usage`;
        const local = await ctx.client.list<Record<string, any>>('GET', `${base}/local`, { what: `Reading the usage of account '${who}'` });
        const global = await ctx.client.list<Record<string, any>>('GET', `${base}/global`, { what: `Reading the usage of account '${who}'` });
        if (ctx.json) return ctx.printJson({ local, global });
        // Rucio's wire says bytes_limit 0 where no limit is set; Tarn then applies no quota on that RSE.
        const limits = await ctx.client.json<Record<string, unknown>>('GET', `/accounts/${encodeURIComponent(who)}/limits/local`, {
          what: `Reading the limits of account '${who}'`,
        });
        const limited = (rse: string) => Object.hasOwn(limits, rse);
        const rows = [
          ...local.map((r) => ({
            where: r.rse,
            files: r.files,
            bytes: r.bytes,
            limit: limited(r.rse) ? r.bytes_limit : NO_LIMIT,
            remaining: limited(r.rse) ? r.bytes_remaining : NO_LIMIT,
          })),
          ...global.map((r) => ({ where: `${r.rse_expression} (expression)`, files: r.files, bytes: r.bytes, limit: r.bytes_limit, remaining: r.bytes_remaining })),
        ];
        ctx.printList(rows, [
          { header: 'RSE', value: (r) => r.where },
          { header: 'FILES', value: (r) => r.files, align: 'right' },
          { header: 'USED', value: (r) => formatBytes(r.bytes), align: 'right' },
          { header: 'LIMIT', value: (r) => limitText(r.limit), align: 'right' },
          { header: 'REMAINING', value: (r) => limitText(r.remaining), align: 'right' },
        ]);
      }),
    );

  account
    .command('limits [account]')
    .description('The limits of an account, per RSE and per RSE expression (default: yours)')
    .action(
      act(io, async (ctx: CommandContext, name?: string) => {
        const who = name ?? ctx.client.account;
        const base = `/accounts/${encodeURIComponent(who)}/limits`;
        const local = await ctx.client.json<Record<string, unknown>>('GET', `${base}/local`, { what: `Reading the limits of account '${who}'` });
        const global = await ctx.client.json<Record<string, { limit: unknown }>>('GET', `${base}/global`, { what: `Reading the limits of account '${who}'` });
        if (ctx.json) return ctx.printJson({ local, global });
        const rows = [
          ...Object.entries(local).map(([where, limit]) => ({ where, kind: 'RSE', limit })),
          ...Object.entries(global).map(([where, v]) => ({ where, kind: 'expression', limit: v?.limit })),
        ];
        ctx.printList(rows, [
          { header: 'RSE / EXPRESSION', value: (r) => r.where },
          { header: 'KIND', value: (r) => r.kind },
          { header: 'LIMIT', value: (r) => limitText(r.limit), align: 'right' },
        ]);
      }),
    );
}
