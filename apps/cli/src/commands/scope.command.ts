import type { Command } from 'commander';
import { parseScope } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';

export function registerScopeCommands(program: Command, io: CliIo): void {
  const scope = program.command('scope').description('Scopes: add, list');

  scope
    .command('add <scope>')
    .description('Add a scope owned by an account (default: yours)')
    .option('--owner <account>', 'owning account (administrators may name another)')
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { owner?: string }) => {
        parseScope(name);
        const owner = opts.owner ?? ctx.client.account;
        await ctx.client.request('POST', `/accounts/${encodeURIComponent(owner)}/scopes/${encodeURIComponent(name)}`, { what: `Adding scope '${name}' for account '${owner}'` });
        ctx.note(`Added scope ${name} (owner ${owner}).`);
      }),
    );

  scope
    .command('list')
    .description('Scopes with their owners')
    .option('--owner <account>', 'only the scopes of this account')
    .action(
      act(io, async (ctx: CommandContext, opts: { owner?: string }) => {
        let rows = await ctx.client.json<Array<{ scope: string; account: string }>>('GET', '/scopes/owner', { what: 'Listing scopes' });
        if (opts.owner) rows = rows.filter((r) => r.account === opts.owner);
        rows.sort((a, b) => (a.scope < b.scope ? -1 : 1));
        ctx.printList(rows, [
          { header: 'SCOPE', value: (r) => r.scope },
          { header: 'ACCOUNT', value: (r) => r.account },
        ]);
      }),
    );
}
