import type { Command } from 'commander';
import { type CheckRun, type DoctorReport, type Finding, finding, MAX_CLOCK_SKEW_SECONDS } from '@tarn/core/doctor/doctor.types.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode, oneLine } from '../errors.js';
import type { CliIo } from '../io.js';

/** A login token this close to its expiry, with nothing to renew it, is worth a warning. */
const TOKEN_WARNING_MS = 15 * 60_000;

interface DoctorOptions {
  storage?: boolean;
  rse?: string;
}

const CHECK_WORDS: Record<string, (n: number) => string> = {
  config: () => 'configuration',
  catalogue: () => 'catalogue',
  'event-bus': () => 'event bus',
  storage: (n) => `${n} RSE protocol(s)`,
  space: (n) => `space of ${n} RSE(s)`,
  daemons: (n) => `${n} daemon instance(s)`,
  clocks: (n) => (n > 1 ? `clocks of this host and ${n - 1} of Tarn's` : "this host's clock"),
  token: () => 'login token',
};

/** `ERROR storage: SITE_A s3://host:9000: write failed: ... Fix: ...` */
export function findingLine(f: Finding): string {
  const sentence = (text: string) => text.trim().replace(/\.+$/, '');
  return oneLine(`${f.severity.toUpperCase()} ${f.check}: ${f.subject ? `${f.subject}: ` : ''}${sentence(f.what)}. Fix: ${sentence(f.fix)}.`);
}

/** What this side (the command line) can tell: the configuration, whether Tarn answers, this host's clock, and the login. */
async function clientChecks(ctx: CommandContext): Promise<{ checks: CheckRun[]; findings: Finding[]; reachable: boolean }> {
  const findings: Finding[] = [];
  const checks: CheckRun[] = [{ check: 'config', looked: 1 }];
  let client;
  try {
    client = ctx.client;
    void client.account;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    findings.push(finding('config', 'error', null, error.message.replace(/\.$/, ''), 'see tarn --help and docs/cli.md'));
    return { checks, findings, reachable: false };
  }
  const url = client.config.url;
  let serverDate: number;
  try {
    const response = await client.publicGet('/ping', `Reaching Tarn at ${url}`);
    if (response.status !== 200) {
      findings.push(finding('config', 'error', url, `answered ${response.status} to GET /ping: it is not Tarn, or not its API`, 'give the URL of Tarn\'s API (--url, TARN_URL or "url" in the config file)'));
      return { checks, findings, reachable: false };
    }
    serverDate = Date.parse(String(response.headers.date ?? ''));
  } catch (error) {
    findings.push(finding('config', 'error', url, `Tarn does not answer (${(error as Error).message.replace(/^.*?\(([^)]*)\).*$/, '$1')})`, 'start Tarn, or fix the URL (--url, TARN_URL or "url" in the config file)'));
    return { checks, findings, reachable: false };
  }
  checks.push({ check: 'clocks', looked: 1 });
  // The Date header has whole seconds: allow one more.
  const skew = (Date.now() - serverDate) / 1000;
  if (!Number.isNaN(serverDate) && Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS + 1) {
    findings.push(
      finding('clocks', 'warning', 'this host', `its clock is about ${Math.abs(Math.round(skew))} s ${skew > 0 ? 'ahead of' : 'behind'} Tarn's`, 'synchronise it (chrony or systemd-timesyncd): tarn renews tokens by it'),
    );
  }
  checks.push({ check: 'token', looked: 1 });
  const token = client.cachedLogin();
  if (token && !client.canRenew(token)) {
    const left = Date.parse(token.expiresAt) - Date.now();
    const login = `run tarn login${token.oidc ? ' --oidc' : ''}${token.oidc ? '' : ' (or set TARN_PASSWORD so that tarn renews it)'}`;
    if (left <= 0) findings.push(finding('token', 'error', client.account, `the login token expired at ${token.expiresAt}`, login));
    else if (left < TOKEN_WARNING_MS) findings.push(finding('token', 'warning', client.account, `the login token expires in ${Math.ceil(left / 60_000)} min (${token.expiresAt}) and nothing can renew it`, login));
  }
  return { checks, findings, reachable: true };
}

/** Why the server's checks could not run, as a finding: a wrong login, an account that is not an administrator, a catalogue down. */
export function serverFailure(error: CliError, account: string | null): Finding {
  const what = error.message.replace(/\.$/, '');
  if (error.exceptionClass === 'AccessDenied') {
    return finding('config', 'error', account, what, 'run tarn doctor as an administrator (--account root, or an account with the attribute admin=true)');
  }
  if (error.exceptionClass === 'DatabaseUnavailable') {
    return finding('catalogue', 'error', null, what, "start PostgreSQL, or fix Tarn's DATABASE_URL; the daemons resume on their own once it answers");
  }
  if (error.exitCode === ExitCode.AUTH) {
    return finding('token', 'error', account, what, 'check the account, username and password (--account, --username, --password, TARN_PASSWORD), or run tarn login');
  }
  return finding('config', 'error', account, what, "the server's checks could not run: see the message and the API's log");
}

/** The same check on both sides (the clocks of this host and of the server's) counted once. */
function mergeChecks(checks: readonly CheckRun[]): CheckRun[] {
  const merged = new Map<string, CheckRun>();
  for (const c of checks) merged.set(c.check, { check: c.check, looked: (merged.get(c.check)?.looked ?? 0) + c.looked });
  return [...merged.values()];
}

export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description(
      'Checks a Tarn deployment and says what to fix, one line per finding: configuration, catalogue and migrations, event bus (Kafka topics, ' +
        'consumer lag), every RSE protocol (writes, stats, reads, checksums and deletes a probe file), RSE space against limits, every daemon ' +
        'alive, clock skew, login token. Needs an administrator account. Exit 1 when it finds an error (warnings alone: 0). See docs/doctor.md.',
    )
    .option('--no-storage', 'do not probe the RSEs (no file is written)')
    .option('--rse <rse>', "only this RSE's protocols and space")
    .action(
      act(io, async (ctx: CommandContext, opts: DoctorOptions) => {
        const client = await clientChecks(ctx);
        const report: Pick<DoctorReport, 'checks' | 'findings'> = { checks: client.checks, findings: client.findings };
        const blocked = client.findings.some((f) => f.severity === 'error');
        if (client.reachable && !blocked) {
          if (ctx.showProgress) ctx.note(`Asking Tarn at ${ctx.config.url} to check itself${opts.storage === false ? '' : ' (a probe file is written to every RSE protocol)'}...`);
          try {
            const server = await ctx.client.json<DoctorReport>('GET', '/doctor', {
              query: { storage: opts.storage === false ? 'false' : undefined, rse: opts.rse },
              what: `Asking Tarn at ${ctx.config.url} to check itself`,
            });
            report.checks = mergeChecks([...report.checks, ...server.checks]);
            report.findings.push(...server.findings);
          } catch (error) {
            if (!(error instanceof CliError) || error.exceptionClass === 'RSENotFound') throw error;
            report.findings.push(serverFailure(error, ctx.client.config.account ?? null));
          }
        }
        const errors = report.findings.filter((f) => f.severity === 'error').length;
        const warnings = report.findings.length - errors;
        if (ctx.json) ctx.printJson({ ok: errors === 0, errors, warnings, ...report });
        else {
          for (const f of report.findings) ctx.out(findingLine(f));
          const looked = report.checks.map((c) => (CHECK_WORDS[c.check] ?? ((): string => c.check))(c.looked)).join(', ');
          if (report.findings.length === 0) ctx.out(`No finding: checked ${looked}.`);
          else if (errors === 0) ctx.note(`${warnings} warning(s); checked ${looked}.`);
        }
        if (errors > 0) throw new CliError(`${errors} error(s), ${warnings} warning(s): fix the errors above, then run tarn doctor again`, ExitCode.FAILURE);
      }),
    );
}
