import type { Command } from 'commander';
import { checked, checkedList, collect, parseChoice, parseJsonObject, parseLifetime, scalar } from '../arguments.js';
import { act, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../errors.js';
import type { CliIo } from '../io.js';
import { formatRuleTemplate, parseRuleTemplateArg } from './hook.command.js';
import { ruleColumns } from './rule.command.js';

type Row = Record<string, any>;
const subPath = (account: string, name: string) => `/subscriptions/${encodeURIComponent(account)}/${encodeURIComponent(name)}`;

function parseJsonText<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string') return (text as T) ?? fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Rucio's wire dict with filter and rules decoded. */
function decoded(row: Row): Row {
  return { ...row, filter: parseJsonText(row.filter, {}), replication_rules: parseJsonText(row.replication_rules, []) };
}

const describeFilter = (filter: Row) =>
  Object.entries(filter)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(', ') || '(everything)';

const columns = [
  { header: 'ACCOUNT', value: (s: Row) => s.account },
  { header: 'NAME', value: (s: Row) => s.name },
  { header: 'STATE', value: (s: Row) => s.state },
  { header: 'FILTER', value: (s: Row) => describeFilter(s.filter) },
  { header: 'RULES', value: (s: Row) => (s.replication_rules as Row[]).map(formatRuleTemplate).join(', ') },
  { header: 'LAST PROCESSED', value: (s: Row) => s.last_processed },
  { header: 'EXPIRES', value: (s: Row) => s.expired_at },
];

const subscriptionRuleColumns = ruleColumns.filter((c) => c.header !== 'ACCOUNT');

function subscriptionOptions(command: Command): Command {
  return command
    .option('--filter <json>', 'Rucio filter as JSON, e.g. \'{"scope": ["data26"], "datatype": ["RAW"]}\'; the options below add to it', checked('--filter', (t, w) => parseJsonObject(t, `${w} '${t}'`)))
    .option('--scope <scope>', 'DIDs of this scope (repeatable)', collect)
    .option('--did-type <type>', 'FILE, DATASET (default) or CONTAINER (repeatable)', checkedList('--did-type', (t, w) => parseChoice(t, w, ['FILE', 'DATASET', 'CONTAINER'])))
    .option('--pattern <regex>', 'DID names matching this regex')
    .option('--meta <key=value>', 'metadata the DIDs must have (repeatable; a key given twice: any of the values)', collect)
    .option('--rule <rule>', 'rule for each matching DID (repeatable): [COPIES@]EXPRESSION[~LIFETIME] or JSON', checkedList('--rule', (t) => parseRuleTemplateArg(t)))
    .option('--comment <text>', 'comment')
    .option('--lifetime <lifetime>', 'the subscription stops: after a duration (30d, "2 weeks") or at a date (2027-01-31)', checked('--lifetime', parseLifetime))
    .option('--retroactive', 'also the DIDs that exist already')
    .option('--owner <account>', 'account of the subscription and its rules (default: yours)');
}

/** Rucio's options from the flags; null when no filter option was given. */
function filterOf(opts: Row): Row | null {
  const given = opts.filter !== undefined || opts.scope || opts.didType || opts.pattern !== undefined || opts.meta;
  if (!given) return null;
  const filter: Row = opts.filter !== undefined ? { ...opts.filter } : {};
  if (opts.scope) filter.scope = opts.scope;
  if (opts.didType) filter.did_type = opts.didType.length === 1 ? opts.didType[0] : opts.didType;
  if (opts.pattern !== undefined) filter.pattern = opts.pattern;
  const values: Record<string, unknown[]> = {};
  for (const pair of (opts.meta as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--meta '${pair}' is not key=value, e.g. datatype=RAW.`, ExitCode.USAGE);
    (values[pair.slice(0, eq)] ??= []).push(scalar(pair.slice(eq + 1)));
  }
  Object.assign(filter, values);
  return filter;
}

function commonOptions(opts: Row): Row {
  const options: Row = {};
  const filter = filterOf(opts);
  if (filter) options.filter = filter;
  if (opts.rule) options.replication_rules = opts.rule;
  if (opts.comment !== undefined) options.comments = opts.comment;
  // Rucio's subscription lifetime is in days.
  if (opts.lifetime !== undefined) options.lifetime = opts.lifetime.seconds / 86400;
  if (opts.retroactive) options.retroactive = true;
  return options;
}

export function registerSubscriptionCommands(program: Command, io: CliIo): void {
  const sub = program.command('subscription').description('Subscriptions: every new DID matching a filter gets rules');

  sub
    .command('list')
    .description('Subscriptions (yours by default)')
    .option('--owner <account>', "this account's subscriptions")
    .option('--all', 'every account')
    .option('--name <name>', 'only subscriptions with this name')
    .action(
      act(io, async (ctx: CommandContext, opts: { owner?: string; all?: boolean; name?: string }) => {
        const owner = opts.all ? undefined : (opts.owner ?? ctx.client.account);
        const path = owner ? (opts.name ? subPath(owner, opts.name) : `/subscriptions/${encodeURIComponent(owner)}`) : opts.name ? `/subscriptions/name/${encodeURIComponent(opts.name)}` : '/subscriptions/';
        const rows = (await ctx.client.list<Row>('GET', path, { what: 'Listing subscriptions' })).map(decoded);
        ctx.printList(rows, columns);
      }),
    );

  subscriptionOptions(sub.command('add <name>').description('Add a subscription: a filter and the rules every new matching DID gets')).action(
    act(io, async (ctx: CommandContext, name: string, opts: Row) => {
      const owner = opts.owner ?? ctx.client.account;
      const options = commonOptions(opts);
      if (!options.replication_rules) throw new CliError(`Subscription '${name}' needs at least one --rule, e.g. --rule 2@QOS=SAFE.`, ExitCode.USAGE);
      options.filter ??= {};
      const id = await ctx.client.json<string>('POST', subPath(owner, name), { what: `Adding subscription '${name}' of '${owner}'`, body: { options } });
      if (ctx.json) ctx.printJson({ id: String(id), account: owner, name });
      else ctx.out(String(id));
    }),
  );

  sub
    .command('show <name>')
    .description('A subscription with the rules it made')
    .option('--owner <account>', 'account of the subscription (default: yours)')
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { owner?: string }) => {
        const owner = opts.owner ?? ctx.client.account;
        const [found] = (await ctx.client.list<Row>('GET', subPath(owner, name), { what: `Showing subscription '${name}' of '${owner}'` })).map(decoded);
        if (!found) throw new CliError(`No subscription '${name}' of account '${owner}': list them with 'tarn subscription list'.`, ExitCode.NOT_FOUND);
        const rules = await ctx.client.list<Row>('GET', `${subPath(owner, name)}/rules`, { what: `Listing the rules of subscription '${name}'` });
        if (ctx.json) return ctx.printJson({ ...found, rules });
        ctx.out(
          [
            `subscription:  ${found.name} (${found.id})`,
            `account:       ${found.account}`,
            `state:         ${found.state}${found.retroactive ? ', retroactive' : ''}`,
            `filter:        ${describeFilter(found.filter)}`,
            `rules:         ${(found.replication_rules as Row[]).map(formatRuleTemplate).join(', ')}`,
            `last pass:     ${found.last_processed ?? '-'}`,
            `expires:       ${found.expired_at ?? 'never'}`,
            ...(found.comments ? [`comment:       ${found.comments}`] : []),
            '',
          ].join('\n'),
        );
        ctx.printList(rules, subscriptionRuleColumns);
      }),
    );

  subscriptionOptions(sub.command('update <name>').description('Change a subscription: the options given replace the stored values'))
    .option('--state <state>', 'ACTIVE or INACTIVE', checked('--state', (t, w) => parseChoice(t, w, ['ACTIVE', 'INACTIVE'])))
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: Row) => {
        const owner = opts.owner ?? ctx.client.account;
        const options = commonOptions(opts);
        if (opts.state !== undefined) options.state = opts.state;
        if (Object.keys(options).length === 0) throw new CliError(`Nothing to change on subscription '${name}': give --filter, --rule, --state, --comment or --lifetime.`, ExitCode.USAGE);
        await ctx.client.request('PUT', subPath(owner, name), { what: `Updating subscription '${name}' of '${owner}'`, body: { options } });
        ctx.note(`Updated subscription ${name} of ${owner}.`);
      }),
    );

  sub
    .command('delete <name>')
    .description('Delete a subscription (the rules it made stay)')
    .option('--owner <account>', 'account of the subscription (default: yours)')
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { owner?: string }) => {
        const owner = opts.owner ?? ctx.client.account;
        await ctx.client.request('DELETE', subPath(owner, name), { what: `Deleting subscription '${name}' of '${owner}'` });
        ctx.note(`Deleted subscription ${name} of ${owner}.`);
      }),
    );

  sub
    .command('rules <name>')
    .description('The rules a subscription made')
    .option('--owner <account>', 'account of the subscription (default: yours)')
    .action(
      act(io, async (ctx: CommandContext, name: string, opts: { owner?: string }) => {
        const owner = opts.owner ?? ctx.client.account;
        const rules = await ctx.client.list<Row>('GET', `${subPath(owner, name)}/rules`, { what: `Listing the rules of subscription '${name}' of '${owner}'` });
        ctx.printList(rules, subscriptionRuleColumns);
      }),
    );
}
