import type { Command } from 'commander';
import { checked, checkedList, parseChoice, parseDuration, parseJsonObject, parseNumber, parsePositiveInt } from '../arguments.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';

const hookPath = (name: string) => `/hooks/${encodeURIComponent(name)}`;
type Row = Record<string, any>;

/**
 * A rule template of a hook or subscription on the command line: a JSON object
 * (`{"copies": 2, "rse_expression": "QOS=SAFE", "lifetime": 3600}`) or the short form
 * `[COPIES@]EXPRESSION[~LIFETIME]`, e.g. `2@QOS=SAFE`, `QOS=FAST~12h`.
 */
export function parseRuleTemplateArg(text: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return parseJsonObject(trimmed, `--rule '${text}'`);
  const match = /^(?:(\d+)@)?([^~]+?)(?:~(.+))?$/.exec(trimmed);
  if (!match) throw new CliError(`--rule '${text}' is not [COPIES@]EXPRESSION[~LIFETIME] (e.g. 2@QOS=SAFE~30d) or a JSON object.`, ExitCode.USAGE);
  const copies = match[1] === undefined ? 1 : Number(match[1]);
  if (copies < 1) throw new CliError(`--rule '${text}': copies must be at least 1.`, ExitCode.USAGE);
  return {
    copies,
    rse_expression: match[2].trim(),
    ...(match[3] !== undefined ? { lifetime: parseDuration(match[3], `The lifetime of --rule '${text}'`) } : {}),
  };
}

/** A template in one line, in the short form: `2@QOS=SAFE~86400s (grouping=ALL)`. */
export function formatRuleTemplate(rule: Record<string, any>): string {
  const expression = rule.rse_expression ?? rule.rseExpression;
  const rest = Object.entries(rule)
    .filter(([k, v]) => !['copies', 'rse_expression', 'rseExpression', 'lifetime'].includes(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`);
  return `${rule.copies}@${expression}${rule.lifetime ? `~${rule.lifetime}s` : ''}${rest.length ? ` (${rest.join(', ')})` : ''}`;
}

const describeSource = (s: Row | undefined) =>
  !s ? '-' : s.kind === 'rse' ? `${s.rse}:${s.prefix || '/'}${s.glob ? ` (${s.glob})` : ''}` : `dropbox ${s.directory}${s.glob ? ` (${s.glob})` : ''}`;
const describeTarget = (t: Row | undefined) => (!t ? '-' : `${t.scope}:${t.name}${t.dataset ? ` in ${t.scope}:${t.dataset}` : ''} @ ${t.rse}`);
const when = (iso: string | null | undefined) => iso ?? '-';

const hookColumns = [
  { header: 'NAME', value: (h: Row) => h.name },
  { header: 'ACCOUNT', value: (h: Row) => h.account },
  { header: 'SCHEDULE', value: (h: Row) => `${h.schedule}${h.timezone ? ` ${h.timezone}` : ''}` },
  { header: 'SOURCE', value: (h: Row) => describeSource(h.source) },
  { header: 'TARGET', value: (h: Row) => describeTarget(h.target) },
  { header: 'RULES', value: (h: Row) => (h.rules as Row[]).map(formatRuleTemplate).join(', ') || '-' },
  { header: 'ENABLED', value: (h: Row) => h.enabled },
  { header: 'NEXT RUN', value: (h: Row) => when(h.runRequestedAt ? 'requested' : h.nextRunAt) },
  { header: 'LAST SUCCESS', value: (h: Row) => when(h.lastSuccessAt) },
];

const runColumns = [
  { header: 'RUN', value: (r: Row) => r.id },
  { header: 'TRIGGER', value: (r: Row) => r.trigger },
  { header: 'STATE', value: (r: Row) => r.state },
  { header: 'STARTED', value: (r: Row) => r.startedAt },
  { header: 'LISTED', value: (r: Row) => r.filesListed, align: 'right' as const },
  { header: 'REGISTERED', value: (r: Row) => r.filesRegistered, align: 'right' as const },
  { header: 'SKIPPED', value: (r: Row) => r.filesSkipped, align: 'right' as const },
  { header: 'FAILED', value: (r: Row) => r.filesFailed, align: 'right' as const },
  { header: 'SIZE', value: (r: Row) => formatBytes(r.bytesRegistered), align: 'right' as const },
  { header: 'DATASETS', value: (r: Row) => r.datasetsCreated, align: 'right' as const },
  { header: 'RULES', value: (r: Row) => r.rulesCreated, align: 'right' as const },
];

/** The options add and update share. */
function hookOptions(command: Command): Command {
  return command
    .option('--schedule <cron>', "cron expression, 5 or 6 fields, e.g. '0 2 * * *' (every night at 02:00)")
    .option('--timezone <tz>', 'time zone of the schedule, e.g. Europe/Berlin (default UTC)')
    .option('--source-rse <rse>', 'zero-copy: register files already on this RSE, where they are')
    .option('--prefix <path>', 'zero-copy: only below this path of the source RSE')
    .option('--dropbox <directory>', "upload: files of this directory on the ingester's host (administrators)")
    .option('--glob <glob>', "only files matching this glob (relative path), e.g. '**/*.fits'")
    .option('--scope <scope>', 'scope of the new DIDs')
    .option('--rse <rse>', 'drop-box: the RSE to upload to')
    .option('--did-name <template>', "file DID name template (default '{basename}')")
    .option('--dataset <template>', "dataset name template, e.g. 'night.{date}'")
    .option('--pattern <regex>', 'regex with named groups over the relative path, for templates and metadata')
    .option('--meta <key=template>', 'metadata of each file (repeatable), e.g. run={run}', checkedList('--meta', parseMetaTemplate))
    .option('--checksum <policy>', 'registrar (zero-copy default), compute (drop-box default) or storage', checked('--checksum', (t, w) => parseChoice(t, w, ['registrar', 'compute', 'storage'])))
    .option('--rule <rule>', 'rule for each dataset the hook creates (repeatable): [COPIES@]EXPRESSION[~LIFETIME] or JSON', checkedList('--rule', (t) => parseRuleTemplateArg(t)))
    .option('--remove-source', 'drop-box: remove the local file once its replica is verified')
    .option('--owner <account>', 'account that owns the hook and its DIDs (default: yours)')
    .option('--comment <text>', 'comment')
    .option('--spec <file>', 'the hook as the API takes it (JSON file); the other options override it');
}

function parseMetaTemplate(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new CliError(`--meta '${pair}' is not key=template, e.g. run={run}.`, ExitCode.USAGE);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** A stored source back in the form the API takes. */
function sourceInput(source: Row | undefined): Row {
  if (!source) return {};
  return source.kind === 'rse' ? { rse: source.rse, prefix: source.prefix, glob: source.glob } : { dropbox: source.directory, glob: source.glob };
}

/** The API body from the options, over `base` (the --spec file, or the stored hook for an update). */
function hookBody(ctx: CommandContext, opts: Row, base: Row, updating: boolean): Row {
  const body: Row = {};
  if (opts.spec) {
    const path = resolve(ctx.io.cwd, opts.spec);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read the hook spec ${path}: ${(error as Error).message}.`, ExitCode.USAGE);
    }
    Object.assign(body, parseJsonObject(text, `The hook spec ${path}`));
  }
  if (opts.sourceRse && opts.dropbox) throw new CliError('Give --source-rse (zero-copy) or --dropbox (upload), not both.', ExitCode.USAGE);
  if (opts.sourceRse || opts.dropbox || opts.prefix !== undefined || opts.glob !== undefined) {
    const source: Row = { ...(body.source ?? sourceInput(base.source)) };
    if (opts.sourceRse) {
      delete source.dropbox;
      source.rse = opts.sourceRse;
    }
    if (opts.dropbox) {
      delete source.rse;
      delete source.prefix;
      source.dropbox = resolve(ctx.io.cwd, opts.dropbox);
    }
    if (opts.prefix !== undefined) source.prefix = opts.prefix;
    if (opts.glob !== undefined) source.glob = opts.glob;
    body.source = source;
  }
  const meta = opts.meta ? Object.fromEntries(opts.meta as Array<[string, string]>) : undefined;
  const targetFlags = { scope: opts.scope, rse: opts.rse, name: opts.didName, dataset: opts.dataset, pattern: opts.pattern, meta };
  if (Object.values(targetFlags).some((v) => v !== undefined)) {
    const target: Row = { ...(body.target ?? base.target ?? {}) };
    for (const [key, value] of Object.entries(targetFlags)) if (value !== undefined) target[key] = value;
    // A zero-copy hook registers files on its source RSE: the stored target RSE follows the source.
    const sourceKind = body.source ? (body.source.rse ? 'rse' : 'dropbox') : base.source?.kind;
    if (updating && sourceKind === 'rse' && opts.rse === undefined) delete target.rse;
    body.target = target;
  }
  if (opts.schedule !== undefined) body.schedule = opts.schedule;
  if (opts.timezone !== undefined) body.timezone = opts.timezone;
  if (opts.checksum !== undefined) body.checksum = opts.checksum;
  if (opts.rule) body.rules = opts.rule;
  if (opts.noRules) body.rules = [];
  if (opts.removeSource) body.after = { removeSource: true };
  if (opts.keepSource) body.after = { removeSource: false };
  if (opts.owner !== undefined) body.account = opts.owner;
  if (opts.comment !== undefined) body.comment = opts.comment;
  if (opts.enable) body.enabled = true;
  if (opts.disable) body.enabled = false;
  return body;
}

function printHook(ctx: CommandContext, hook: Row, runs: Row[]): void {
  if (ctx.json) return ctx.printJson({ ...hook, runs });
  const files = hook.files as Record<string, number> | undefined;
  ctx.out(
    [
      `hook:          ${hook.name}${hook.enabled ? '' : ' (disabled)'}`,
      `account:       ${hook.account}`,
      `schedule:      ${hook.schedule}${hook.timezone ? ` (${hook.timezone})` : ' (UTC)'}`,
      `source:        ${describeSource(hook.source)}`,
      `target:        ${describeTarget(hook.target)}`,
      ...(hook.target?.pattern ? [`pattern:       ${hook.target.pattern}`] : []),
      ...(hook.target && Object.keys(hook.target.meta ?? {}).length ? [`metadata:      ${Object.entries(hook.target.meta).map(([k, v]) => `${k}=${v}`).join(', ')}`] : []),
      `checksum:      ${hook.checksum}`,
      `rules:         ${(hook.rules as Row[]).map(formatRuleTemplate).join(', ') || '-'}`,
      ...(hook.source?.kind === 'dropbox' ? [`after:         ${hook.after?.removeSource ? 'remove the local file once verified' : 'keep the local file'}`] : []),
      `next run:      ${hook.runRequestedAt ? `requested at ${hook.runRequestedAt}` : when(hook.nextRunAt)}`,
      `last run:      ${when(hook.lastRunAt)} (last success ${when(hook.lastSuccessAt)})`,
      ...(files ? [`files:         ${['P', 'R', 'D'].map((s) => `${{ P: 'in progress', R: 'registered', D: 'done' }[s]} ${files[s] ?? 0}`).join(', ')}`] : []),
      ...(hook.comment ? [`comment:       ${hook.comment}`] : []),
      '',
    ].join('\n'),
  );
  ctx.printList(runs, runColumns);
}

function printRun(ctx: CommandContext, run: Row): void {
  if (ctx.json) return ctx.printJson(run);
  ctx.out(
    [
      `run:         ${run.id} of hook ${run.hook} (${run.trigger})`,
      `state:       ${run.state}`,
      `started:     ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''} (${run.instance})`,
      `files:       listed ${run.filesListed}, registered ${run.filesRegistered} (${formatBytes(run.bytesRegistered)}), skipped ${run.filesSkipped}, failed ${run.filesFailed}`,
      `created:     ${run.datasetsCreated} dataset(s), ${run.rulesCreated} rule(s); ${run.sourcesRemoved} local file(s) removed`,
      '',
    ].join('\n'),
  );
  const errors = (run.errors ?? []) as Row[];
  if (errors.length > 0) {
    ctx.printList(errors, [
      { header: 'PATH', value: (e) => e.path ?? '-' },
      { header: 'DID', value: (e) => e.did ?? '-' },
      { header: 'ERROR', value: (e) => e.error },
    ]);
  }
}

export function registerHookCommands(program: Command, io: CliIo): void {
  const hook = program.command('hook').description('Ingestion hooks: files taken in on a schedule (zero-copy registration or drop-box upload)');

  hook
    .command('list')
    .description('Hooks (yours; administrators: every account unless --owner)')
    .option('--owner <account>', 'only the hooks of this account')
    .action(
      act(io, async (ctx: CommandContext, opts: { owner?: string }) => {
        const rows = await ctx.client.json<Row[]>('GET', '/hooks', { what: 'Listing hooks', query: { account: opts.owner } });
        ctx.printList(rows, hookColumns);
      }),
    );

  hookOptions(hook.command('add <name>').description('Create a hook (its first run is at the next tick of the schedule; `tarn hook run` runs it now)')).action(
    act(io, async (ctx: CommandContext, name: string, opts: Row) => {
      const body: Row = { ...hookBody(ctx, opts, {}, false), name };
      if (!body.schedule) throw new CliError(`Hook '${name}' needs --schedule, e.g. '0 2 * * *'.`, ExitCode.USAGE);
      if (!body.source) throw new CliError(`Hook '${name}' needs a source: --source-rse RSE (zero-copy) or --dropbox DIR (upload).`, ExitCode.USAGE);
      if (!body.target?.scope) throw new CliError(`Hook '${name}' needs --scope, the scope of the DIDs it creates.`, ExitCode.USAGE);
      const created = await ctx.client.json<Row>('POST', '/hooks', { what: `Creating hook '${name}'`, body });
      if (ctx.json) ctx.printJson(created);
      else ctx.note(`Created hook ${created.name}; next run ${when(created.nextRunAt)}.`);
    }),
  );

  hook
    .command('show <name>')
    .description('A hook: source, target, rules, schedule, files taken in, and its latest runs')
    .option('--runs <n>', 'how many runs to show', checked('--runs', parsePositiveInt), 5)
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { runs: number }) => {
        const shown = await ctx.client.json<Row>('GET', hookPath(name), { what: `Showing hook '${name}'` });
        const runs = await ctx.client.json<Row[]>('GET', `${hookPath(name)}/runs`, { what: `Listing the runs of hook '${name}'`, query: { limit: opts.runs } });
        printHook(ctx, shown, runs);
      }),
    );

  hookOptions(hook.command('update <name>').description('Change a hook: the options given replace the stored values'))
    .option('--new-name <name>', 'rename the hook')
    .option('--no-rules', 'remove the rule templates')
    .option('--keep-source', 'drop-box: keep the local files')
    .option('--enable', 'enable the hook')
    .option('--disable', 'disable the hook (it no longer runs)')
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: Row) => {
        if (opts.enable && opts.disable) throw new CliError('Give --enable or --disable, not both.', ExitCode.USAGE);
        // commander's --no-rules sets rules=false; keep the repeatable --rule apart from it.
        opts.noRules = opts.rules === false;
        const current = await ctx.client.json<Row>('GET', hookPath(name), { what: `Reading hook '${name}'` });
        const body = hookBody(ctx, opts, current, true);
        if (opts.newName) body.name = opts.newName;
        if (Object.keys(body).length === 0) throw new CliError(`Nothing to change on hook '${name}': give at least one option (see tarn hook update --help).`, ExitCode.USAGE);
        const updated = await ctx.client.json<Row>('PUT', hookPath(name), { what: `Updating hook '${name}'`, body });
        if (ctx.json) ctx.printJson(updated);
        else ctx.note(`Updated hook ${updated.name}; next run ${updated.runRequestedAt ? 'requested' : when(updated.nextRunAt)}.`);
      }),
    );

  hook
    .command('delete <name>')
    .description('Delete a hook with its record of runs (the DIDs it registered stay)')
    .action(
      act(io, async (ctx: CommandContext, name: string) => {
        await ctx.client.request('DELETE', hookPath(name), { what: `Deleting hook '${name}'` });
        ctx.note(`Deleted hook ${name}.`);
      }),
    );

  hook
    .command('run <name>')
    .description('Run a hook now (the ingester takes it up within its interval)')
    .option('--wait <duration>', 'wait for the run to finish (at most this long, e.g. 10m; exit 9 if it has not, 1 if it failed or a file failed)', checked('--wait', parseDuration))
    .option('--interval <seconds>', 'seconds between polls with --wait', checked('--interval', (t, w) => parseNumber(t, w, 0.1)), 1)
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { wait?: number; interval: number }) => {
        const requested = await ctx.client.json<Row>('POST', `${hookPath(name)}/run`, { what: `Asking for a run of hook '${name}'` });
        if (!opts.wait) {
          if (ctx.json) ctx.printJson(requested);
          else ctx.note(`Hook ${name}: run requested at ${requested.runRequestedAt}; follow it with 'tarn hook runs ${name}'.`);
          return;
        }
        const since = Date.parse(requested.runRequestedAt);
        const deadline = Date.now() + opts.wait * 1000;
        let run: Row | undefined;
        for (;;) {
          const runs = await ctx.client.json<Row[]>('GET', `${hookPath(name)}/runs`, { what: `Listing the runs of hook '${name}'`, query: { limit: 5 } });
          run = runs.find((r) => Date.parse(r.startedAt) >= since && r.state !== 'RUNNING');
          if (run || Date.now() >= deadline) break;
          ctx.checkAborted(`waiting for a run of hook '${name}'`);
          await new Promise((r) => setTimeout(r, opts.interval * 1000));
        }
        if (!run) throw new CliError(`Hook '${name}' has not finished a run within ${opts.wait} s: is the ingester running? Follow it with 'tarn hook runs ${name}'.`, ExitCode.TIMEOUT);
        printRun(ctx, run);
        if (run.state !== 'DONE') throw new CliError(`Run ${run.id} of hook '${name}' ${run.state}: ${run.errors?.[0]?.error ?? 'see tarn hook runs'}.`, ExitCode.FAILURE);
        if (run.filesFailed > 0) throw new CliError(`Run ${run.id} of hook '${name}': ${run.filesFailed} file(s) failed, e.g. ${run.errors?.[0]?.path ?? ''}: ${run.errors?.[0]?.error ?? ''}`, ExitCode.FAILURE);
      }),
    );

  hook
    .command('runs <name> [run-id]')
    .description("A hook's latest runs, newest first (counts), or one run with its errors")
    .option('--limit <n>', 'how many runs', checked('--limit', parsePositiveInt), 20)
    .action(
      act(io, async (ctx: CommandContext, name: string, runId: string | undefined, opts: { limit: number }) => {
        if (runId) {
          const run = await ctx.client.json<Row>('GET', `${hookPath(name)}/runs/${encodeURIComponent(runId)}`, { what: `Showing run ${runId} of hook '${name}'` });
          return printRun(ctx, run);
        }
        const runs = await ctx.client.json<Row[]>('GET', `${hookPath(name)}/runs`, { what: `Listing the runs of hook '${name}'`, query: { limit: opts.limit } });
        ctx.printList(runs, [...runColumns, { header: 'ERRORS', value: (r: Row) => (r.errors?.length ? `${r.errors.length}: ${r.errors[0].error}` : '') }]);
      }),
    );
}
