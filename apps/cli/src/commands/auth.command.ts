import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { act, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';

/** Reads a password from the terminal without echoing it. */
async function promptPassword(prompt: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  let prompted = false;
  output._writeToOutput = (s: string) => {
    if (!prompted) process.stderr.write(s);
    prompted = true;
  };
  try {
    return await new Promise<string>((resolve) => rl.question(prompt, resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export function registerAuthCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description('Log in with username and password; the token is cached (mode 0600) and renewed when it expires if a password is configured')
    .action(
      act(io, async (ctx: CommandContext) => {
        let password = ctx.config.password;
        if (!password && ctx.io.stdinIsTty) password = await promptPassword(`Password for ${ctx.client.account} at ${ctx.config.url}: `);
        const { token, path } = await ctx.client.login(password);
        if (ctx.json) ctx.printJson({ account: token.account, url: token.url, expires_at: token.expiresAt, token_file: path });
        else ctx.out(`Logged in as ${token.account} at ${token.url}; token valid until ${token.expiresAt} (cached in ${path}).`);
      }),
    );

  program
    .command('logout')
    .description('Forget the cached token')
    .action(
      act(io, async (ctx: CommandContext) => {
        ctx.client.logout();
        ctx.note(`Forgot the token of ${ctx.client.account} at ${ctx.config.url}.`);
      }),
    );

  program
    .command('whoami')
    .description('The account behind the token')
    .action(
      act(io, async (ctx: CommandContext) => {
        const account = await ctx.client.json<Record<string, unknown>>('GET', `/accounts/${encodeURIComponent(ctx.client.account)}`, {
          what: `Showing account '${ctx.client.account}'`,
        });
        const token = await ctx.client.json<Record<string, unknown>>('GET', '/auth/validate', { what: 'Checking the token' });
        const record = {
          account: account.account,
          type: account.account_type,
          status: account.status,
          email: account.email,
          admin: token.admin,
          token_expires: token.lifetime,
          url: ctx.config.url,
        };
        ctx.printRecord(record);
      }),
    );
}
