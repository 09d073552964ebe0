import type { Command } from 'commander';
import { assertNoStrayUnit, checked, expiryBody, parseBool, parseChoice, parseDidArg, parseDuration, parseInteger, parseLifetime, parseNumber, parsePositiveInt } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatBytes } from '../table.js';

const rulePath = (id: string) => `/rules/${encodeURIComponent(id)}`;
type Row = Record<string, any>;

/** The columns of a rule listing; subscriptions show their own rules with them (less ACCOUNT, always theirs). */
export const ruleColumns = [
  { header: 'ID', value: (r: Row) => r.id },
  { header: 'ACCOUNT', value: (r: Row) => r.account },
  { header: 'DID', value: (r: Row) => `${r.scope}:${r.name}` },
  { header: 'STATE', value: (r: Row) => `${r.state}[${r.locks_ok_cnt}/${r.locks_replicating_cnt}/${r.locks_stuck_cnt}]` },
  { header: 'RSE EXPRESSION', value: (r: Row) => r.rse_expression },
  { header: 'COPIES', value: (r: Row) => r.copies, align: 'right' as const },
  { header: 'SIZE', value: (r: Row) => formatBytes(r.bytes), align: 'right' as const },
  { header: 'EXPIRES', value: (r: Row) => r.expires_at },
];

const RULE_STATES = ['OK', 'REPLICATING', 'STUCK', 'SUSPENDED', 'WAITING_APPROVAL', 'INJECT'] as const;
const LIFETIME_HELP = 'a duration (30d, 48h, "2 days", 1h30m) or an expiry date (2027-01-31, 2027-01-31T12:00Z)';

const FINAL_STATES = new Set(['OK', 'STUCK', 'SUSPENDED']);

const lockCounts = (r: Row) => `locks OK ${r.locks_ok_cnt}, replicating ${r.locks_replicating_cnt}, stuck ${r.locks_stuck_cnt}`;

/** Polls the rule until it is OK, STUCK or SUSPENDED or the time is up; says on stderr each time its lock counts change. */
async function waitForRule(ctx: CommandContext, id: string, first: Row, fetch: () => Promise<Row>, seconds: number, interval: number): Promise<Row> {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  let current = first;
  let said = '';
  const say = () => {
    const line = `${current.state} (${lockCounts(current)})`;
    if (line !== said) ctx.note(`rule ${id}: ${line} after ${Math.round((Date.now() - started) / 1000)}s`);
    said = line;
  };
  say();
  while (!FINAL_STATES.has(current.state) && Date.now() < deadline) {
    ctx.checkAborted(`waiting for rule ${id}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval * 1000, Math.max(0, deadline - Date.now()))));
    current = await fetch();
    say();
  }
  return current;
}

/** "waiting:" lines of a rule that is not OK: what its locks wait for, by reason (the analysis' counts). */
function waitingLines(rule: Row, analysis: Row | null): string[] {
  if (!analysis) return [];
  const reasons: Row[] = Array.isArray(analysis.reasons) ? analysis.reasons : [];
  if (reasons.length === 0) return analysis.rule_error && analysis.rule_error !== rule.error ? [`waiting:     ${analysis.rule_error}`] : [];
  return reasons.map((r, i) => {
    const where = r.rses?.length ? ` on ${r.rses.join(', ')}` : '';
    const what = `${r.locks} ${r.state} ${r.reason_code ?? ''}${where}: ${r.example?.reason ?? 'no reason recorded'}`;
    return `${i === 0 ? 'waiting:    ' : '            '} ${what}`;
  });
}

/** A lock's reason, with its last error when that is another story (a retried lock). */
function lockReason(lock: Row): string {
  if (lock.state === 'OK') return '';
  const reason = lock.reason ?? lock.error ?? '';
  return lock.error && lock.reason && !lock.reason.includes(lock.error) ? `${reason} (last error: ${lock.error})` : reason;
}

export function registerRuleCommands(program: Command, io: CliIo): void {
  const rule = program.command('rule').description('Replication rules: add, list, show (with locks), update, delete, move');

  rule
    .command('add <dids...>')
    .description('Add a rule on each DID (all or none): COPIES replicas on RSEs of the expression')
    .requiredOption('--rses <expression>', 'RSE expression, e.g. QOS=SAFE')
    .option('--copies <n>', 'number of copies', checked('--copies', parsePositiveInt), 1)
    .option('--lifetime <lifetime>', `the rule expires: ${LIFETIME_HELP}`, checked('--lifetime', parseLifetime))
    .option('--grouping <grouping>', 'DATASET (default), ALL or NONE', checked('--grouping', (t, w) => parseChoice(t, w, ['DATASET', 'ALL', 'NONE'])))
    .option('--weight <attribute>', 'numeric RSE attribute used as selection weight')
    .option('--source-rses <expression>', 'only copy from these RSEs')
    .option('--activity <activity>', 'transfer activity')
    .option('--priority <n>', 'transfer priority, 1 (lowest) to 5', checked('--priority', (t, w) => parseInteger(t, w, 1, 5)))
    .option('--comment <text>', 'comment')
    .option('--locked', 'the rule cannot be deleted until unlocked')
    .option('--purge-replicas', 'delete the replicas as soon as the rule goes')
    .option('--ignore-availability', 'also place on RSEs not available for writing')
    .option('--asynchronous', 'evaluate the rule later (large DIDs)')
    .option('--ask-approval', 'wait for an administrator to approve it')
    .action(
      act(io, async (ctx: CommandContext, didTexts: string[], opts: Record<string, any>) => {
        assertNoStrayUnit(didTexts, opts, ['lifetime']);
        const dids = didTexts.map((text) => parseDidArg(text));
        const ids = await ctx.client.json<string[]>('POST', '/rules/', {
          what: `Adding a rule on ${didTexts.length === 1 ? didTexts[0] : `${didTexts.length} DIDs`} for '${opts.rses}'`,
          body: {
            dids,
            copies: opts.copies,
            rse_expression: opts.rses,
            ...expiryBody(opts.lifetime, 'expires_at'),
            ...(opts.grouping ? { grouping: opts.grouping } : {}),
            ...(opts.weight ? { weight: opts.weight } : {}),
            ...(opts.sourceRses ? { source_replica_expression: opts.sourceRses } : {}),
            ...(opts.activity ? { activity: opts.activity } : {}),
            ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
            ...(opts.comment ? { comment: opts.comment } : {}),
            ...(opts.locked ? { locked: true } : {}),
            ...(opts.purgeReplicas ? { purge_replicas: true } : {}),
            ...(opts.ignoreAvailability ? { ignore_availability: true } : {}),
            ...(opts.asynchronous ? { asynchronous: true } : {}),
            ...(opts.askApproval ? { ask_approval: true } : {}),
          },
        });
        if (ctx.json) ctx.printJson(ids);
        else ctx.out(ids.join('\n'));
      }),
    );

  rule
    .command('list')
    .description('Rules, by account (default: yours), DID, state or RSE expression')
    .option('--owner <account>', 'owner (default: yours; "all" for every account)')
    .option('--did <did>', 'rules on this DID')
    .option('--state <state>', RULE_STATES.join(', '), checked('--state', (t, w) => parseChoice(t, w, RULE_STATES)))
    .option('--rses <expression>', 'rules with this RSE expression')
    .action(
      act(io, async (ctx: CommandContext, opts: { owner?: string; did?: string; state?: string; rses?: string }) => {
        const did = opts.did ? parseDidArg(opts.did) : undefined;
        const account = opts.owner === 'all' ? undefined : (opts.owner ?? (did ? undefined : ctx.client.account));
        const query = { account, scope: did?.scope, name: did?.name, state: opts.state, rse_expression: opts.rses };
        const bar = ctx.progress('listing rules', null, 'items');
        const rows: Row[] = [];
        for await (const row of ctx.client.ndjson<Row>('GET', '/rules/', { what: 'Listing rules', query })) {
          rows.push(row);
          bar.add(1);
        }
        bar.finish();
        ctx.printList(rows, ruleColumns);
      }),
    );

  rule
    .command('show <id>')
    .description('A rule, what its locks wait for (by reason), and every lock with its reason')
    .option('--wait <duration>', 'poll until the rule is OK, STUCK or SUSPENDED (at most this long, e.g. 10m, 2h; exit 9 if not reached); the lock counts are shown as they change', checked('--wait', parseDuration))
    .option('--interval <seconds>', 'seconds between polls with --wait', checked('--interval', (t, w) => parseNumber(t, w, 0.1)), 2)
    .action(
      act(io, async (ctx: CommandContext, id: string, opts: { wait?: number; interval: number }) => {
        const waitSeconds = opts.wait ?? null;
        const interval = opts.interval;
        const fetch = () => ctx.client.json<Row>('GET', rulePath(id), { what: `Showing rule ${id}` });
        let current = await fetch();
        if (waitSeconds !== null) current = await waitForRule(ctx, id, current, fetch, waitSeconds, interval);
        const locks = await ctx.client.list<Row>('GET', `${rulePath(id)}/locks`, { what: `Listing the locks of rule ${id}` });
        const analysis = current.state === 'OK' ? null : await ctx.client.json<Row>('GET', `${rulePath(id)}/analysis`, { what: `Examining rule ${id}` });
        if (ctx.json) ctx.printJson({ ...current, locks, ...(analysis ? { analysis } : {}) });
        else {
          ctx.out(
            [
              `rule:        ${current.id}`,
              `DID:         ${current.scope}:${current.name} (${current.did_type})`,
              `account:     ${current.account}`,
              `state:       ${current.state} (${lockCounts(current)})`,
              `expression:  ${current.rse_expression}, ${current.copies} cop${current.copies === 1 ? 'y' : 'ies'}, grouping ${current.grouping}`,
              `expires:     ${current.expires_at ?? 'never'}${current.locked ? ' (locked)' : ''}`,
              ...(current.error ? [`error:       ${current.error}`] : []),
              ...waitingLines(current, analysis),
              ...(current.child_rule_id ? [`moved to:    ${current.child_rule_id}`] : []),
              '',
            ].join('\n'),
          );
          ctx.printList(locks, [
            { header: 'FILE', value: (l) => `${l.scope}:${l.name}` },
            { header: 'RSE', value: (l) => l.rse },
            { header: 'STATE', value: (l) => l.state },
            { header: 'SIZE', value: (l) => formatBytes(l.bytes), align: 'right' },
            { header: 'COPY', value: (l) => l.copy_method ?? '' },
            { header: 'REASON', value: (l) => lockReason(l) },
          ]);
          const copies = copyReasons(locks);
          if (copies.length > 0) ctx.out(['', 'how files were copied (locks, method: why):', ...copies.map((c) => `  ${c.count}  ${c.method}: ${c.reason}`), ''].join('\n'));
        }
        if (waitSeconds !== null && current.state !== 'OK') {
          if (current.state === 'STUCK' || current.state === 'SUSPENDED') {
            throw new CliError(`Rule ${id} on ${current.scope}:${current.name} is ${current.state}: ${current.error ?? analysis?.rule_error ?? 'see its locks above'}.`, ExitCode.FAILURE);
          }
          throw new CliError(
            `Rule ${id} on ${current.scope}:${current.name} is still ${current.state} after ${waitSeconds} s: ${analysis?.rule_error ?? 'see its locks above'}.`,
            ExitCode.TIMEOUT,
          );
        }
      }),
    );

  rule
    .command('update <id>')
    .description('Change a rule: lifetime, locked, comment, activity, priority, owner, state')
    .option('--lifetime <lifetime>', `new lifetime: ${LIFETIME_HELP}; "none" for never`, checked('--lifetime', (t, w) => (/^none$/i.test(t) ? null : parseLifetime(t, w))))
    .option('--locked <bool>', 'true or false', checked('--locked', parseBool))
    .option('--comment <text>', 'comment')
    .option('--activity <activity>', 'activity')
    .option('--priority <n>', 'transfer priority, 1 (lowest) to 5', checked('--priority', (t, w) => parseInteger(t, w, 1, 5)))
    .option('--owner <account>', 'new owner')
    .option('--state <state>', 'STUCK (the rule-repairer looks at it again), SUSPENDED, or REPLICATING to resume it', checked('--state', (t, w) => parseChoice(t, w, ['STUCK', 'SUSPENDED', 'REPLICATING'])))
    .action(
      act(io, async (ctx: CommandContext, id: string, opts: Record<string, any>) => {
        const options: Record<string, unknown> = {};
        if (opts.lifetime === null) options.lifetime = null;
        else Object.assign(options, expiryBody(opts.lifetime, 'expires_at'));
        for (const key of ['locked', 'comment', 'activity', 'priority', 'state']) if (opts[key] !== undefined) options[key] = opts[key];
        if (opts.owner !== undefined) options.account = opts.owner;
        if (Object.keys(options).length === 0) throw new CliError(`Nothing to change on rule ${id}: give --lifetime, --locked, --comment, --activity, --priority, --owner or --state.`, ExitCode.USAGE);
        await ctx.client.request('PUT', rulePath(id), { what: `Updating rule ${id}`, body: { options } });
        ctx.note(`Updated rule ${id}.`);
      }),
    );

  rule
    .command('delete <id>')
    .description('Delete a rule: its copies that no other rule holds are kept until their RSE needs the space (least recently used first), or deleted at once with --purge-replicas')
    .option('--purge-replicas', 'delete the copies no other rule holds as soon as possible')
    .action(
      act(io, async (ctx: CommandContext, id: string, opts: { purgeReplicas?: boolean }) => {
        const rule = await ctx.client.json<Row>('GET', rulePath(id), { what: `Showing rule ${id}` });
        await ctx.client.request('DELETE', rulePath(id), { what: `Deleting rule ${id}`, body: { purge_replicas: Boolean(opts.purgeReplicas) } });
        const files = rule.locks_ok_cnt + rule.locks_replicating_cnt + rule.locks_stuck_cnt;
        const what = `${files} file replica(s) on '${rule.rse_expression}'`;
        ctx.note(
          opts.purgeReplicas || rule.purge_replicas
            ? `Deleted rule ${id} on ${rule.scope}:${rule.name}: its ${what} that no other rule holds are deleted as soon as possible (the reaper); queued transfers are cancelled.`
            : `Deleted rule ${id} on ${rule.scope}:${rule.name}: its ${what} that no other rule holds stay until their RSE needs the space ` +
                '(then least recently used first); queued transfers are cancelled. To free the space at once: delete with --purge-replicas.',
        );
      }),
    );

  rule
    .command('approve <id>')
    .description('Approve a rule waiting for approval (administrators): the rule-injector then places it')
    .action(
      act(io, async (ctx: CommandContext, id: string) => {
        await ctx.client.request('PUT', rulePath(id), { what: `Approving rule ${id}`, body: { options: { approve: true } } });
        ctx.note(`Approved rule ${id}.`);
      }),
    );

  rule
    .command('deny <id>')
    .description('Deny a rule waiting for approval (administrators): it is deleted')
    .option('--reason <text>', 'why, for its owner')
    .action(
      act(io, async (ctx: CommandContext, id: string, opts: { reason?: string }) => {
        await ctx.client.request('PUT', rulePath(id), { what: `Denying rule ${id}`, body: { options: { approve: false, ...(opts.reason ? { comment: opts.reason } : {}) } } });
        ctx.note(`Denied rule ${id}: it is deleted.`);
      }),
    );

  rule
    .command('move <id> <rse-expression>')
    .description('Move a rule to other RSEs: a child rule is created; the rule goes once the child is OK')
    .action(
      act(io, async (ctx: CommandContext, id: string, expression: string) => {
        const child = await ctx.client.json<string>('POST', `${rulePath(id)}/move`, { what: `Moving rule ${id} to '${expression}'`, body: { rule_id: id, rse_expression: expression } });
        if (ctx.json) ctx.printJson({ rule_id: id, child_rule_id: child });
        else ctx.out(String(child));
      }),
    );
}

/** The distinct ways a rule's files were copied, with how many locks each: a transfer's method and its reason. */
export function copyReasons(locks: Row[]): Array<{ method: string; reason: string; count: number }> {
  const byWay = new Map<string, { method: string; reason: string; count: number }>();
  for (const lock of locks) {
    if (!lock.copy_method) continue;
    const key = `${lock.copy_method}\u0000${lock.copy_method_reason ?? ''}`;
    const way = byWay.get(key) ?? { method: lock.copy_method, reason: lock.copy_method_reason ?? '', count: 0 };
    way.count++;
    byWay.set(key, way);
  }
  return [...byWay.values()].sort((a, b) => b.count - a.count);
}
