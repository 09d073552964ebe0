import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import type { OidcConfigurationWire } from '@tarn/config';
import { browserLogin, deviceLogin, oidcSession } from '../oidc-login.js';

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

async function loginOidc(ctx: CommandContext, opts: { flow?: string; issuer?: string; clientId?: string }): Promise<void> {
  const flow = opts.flow ?? (ctx.io.env.DISPLAY || ctx.io.env.WAYLAND_DISPLAY ? 'browser' : 'device');
  if (flow !== 'device' && flow !== 'browser') throw new CliError(`--flow must be 'device' or 'browser', not '${flow}'.`, ExitCode.USAGE);
  const settings = await ctx.client.publicJson<OidcConfigurationWire>('/auth/oidc/configuration', `Asking Tarn at ${ctx.config.url} how to log in with an identity provider`);
  const session = oidcSession(settings, opts);
  const tell = (text: string) => ctx.io.stderr.write(`${text}\n`);
  const tokens = flow === 'device' ? await deviceLogin(session, tell, ctx.io.signal) : await browserLogin(session, tell, ctx.io.signal);
  const { token, path } = await ctx.client.adoptOidcLogin(tokens, { ...session, refreshToken: tokens.refresh_token });
  const renewal = tokens.refresh_token ? 'renewed by itself with the refresh token' : 'not renewable: the provider gave no refresh token';
  if (ctx.json) ctx.printJson({ account: token.account, url: token.url, issuer: session.issuer, expires_at: token.expiresAt, renewable: Boolean(tokens.refresh_token), token_file: path });
  else ctx.out(`Logged in as ${token.account} at ${token.url} with '${session.issuer}'; token valid until ${token.expiresAt}, ${renewal} (cached in ${path}).`);
}

export function registerAuthCommands(program: Command, io: CliIo): void {
  program
    .command('login')
    .description(
      'Log in with username and password (the token is renewed when it expires if a password is configured), or with your identity provider (--oidc; ' +
        'the refresh token renews it); tokens are cached in mode 0600 files and the account is remembered',
    )
    .option('--oidc', 'log in with the identity provider Tarn accepts tokens of (INDIGO IAM, Keycloak...)')
    .option('--flow <flow>', "with --oidc: 'device' (enter a code in any browser; the default without a display) or 'browser' (authorization code with PKCE)")
    .option('--issuer <url>', 'with --oidc: the identity provider, when Tarn accepts several')
    .option('--client-id <id>', 'with --oidc: the OIDC client of the command line, when Tarn names none')
    .action(
      act(io, async (ctx: CommandContext, opts: { oidc?: boolean; flow?: string; issuer?: string; clientId?: string }) => {
        if (opts.oidc) return loginOidc(ctx, opts);
        if (opts.flow || opts.issuer || opts.clientId) throw new CliError('--flow, --issuer and --client-id go with --oidc.', ExitCode.USAGE);
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
        const { revoked } = await ctx.client.logout();
        ctx.note(`Forgot the token of ${ctx.client.account} at ${ctx.config.url}${revoked ? ', and revoked its refresh token at the identity provider' : ''}.`);
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
