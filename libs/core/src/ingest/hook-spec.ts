import { isAbsolute } from 'node:path';
import picomatch from 'picomatch';
import { accountProblem, BUILTIN_FIELDS, checkTemplate, compilePathPattern, InvalidInput, patternGroups, scopeProblem } from '@tarn/domain';
import { parseRuleTemplates } from '../subscriptions/rule-template.js';
import { validateSchedule } from './hook-schedule.js';
import { CHECKSUM_POLICIES, type ChecksumPolicy, type HookInput, type HookSource, type HookSpec, type HookTarget } from './hook.types.js';

const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function invalid(message: string, details: Record<string, unknown> = {}): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InputValidationError', details });
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

export function validateHookName(name: unknown): string {
  if (typeof name !== 'string' || !HOOK_NAME.test(name)) {
    throw invalid(`Invalid hook name ${JSON.stringify(name)}: use letters, digits, '_', '-' and '.', starting with a letter or digit.`, { name });
  }
  return name;
}

/** A named-group regex, or a clear error. */
export function compilePattern(pattern: string | null, hook: string): RegExp | null {
  return compilePathPattern(pattern, `Hook '${hook}': the pattern`);
}

function parseSource(raw: unknown, hook: string): HookSource {
  if (raw === null || typeof raw !== 'object') {
    throw invalid(`Hook '${hook}' needs a source: {"rse": "SITE_A", "prefix": "incoming/"} (zero-copy) or {"dropbox": "/data/outbox"} (upload).`);
  }
  const source = raw as Record<string, unknown>;
  const glob = text(source.glob);
  if (glob) picomatch(glob);
  const rse = text(source.rse);
  const dropbox = text(source.dropbox) ?? text(source.directory);
  if (rse && dropbox) throw invalid(`Hook '${hook}': give either a source RSE or a drop-box directory, not both.`);
  if (rse) {
    const prefix = (text(source.prefix) ?? '').replace(/^\/+/, '');
    if (prefix.split('/').some((s) => s === '..')) throw invalid(`Hook '${hook}': the source prefix '${prefix}' must not contain '..'.`);
    return { kind: 'rse', rse, prefix, glob };
  }
  if (dropbox) {
    if (!isAbsolute(dropbox)) throw invalid(`Hook '${hook}': the drop-box directory '${dropbox}' must be an absolute path on the ingester's host.`);
    return { kind: 'dropbox', directory: dropbox, glob };
  }
  throw invalid(`Hook '${hook}': the source needs "rse" (zero-copy registration of files already there) or "dropbox" (a local directory to upload from).`);
}

function parseTarget(raw: unknown, source: HookSource, hook: string): HookTarget {
  if (raw === null || typeof raw !== 'object') throw invalid(`Hook '${hook}' needs a target: at least {"scope": "..."}.`);
  const target = raw as Record<string, unknown>;
  const scope = text(target.scope);
  const problem = scope ? scopeProblem(scope) : 'a scope is required';
  if (problem) throw invalid(`Hook '${hook}': invalid target scope ${JSON.stringify(target.scope)}: ${problem}.`);
  const rse = source.kind === 'rse' ? source.rse : text(target.rse);
  if (!rse) throw invalid(`Hook '${hook}' uploads from a drop-box: give the target RSE ("target": {"rse": "SITE_A", ...}).`);
  if (source.kind === 'rse' && text(target.rse) && text(target.rse) !== source.rse) {
    throw invalid(`Hook '${hook}' registers files where they are (on ${source.rse}): the target RSE cannot differ; add a rule to copy them elsewhere.`);
  }
  const pattern = text(target.pattern);
  const groups = patternGroups(compilePattern(pattern, hook));
  const reserved = groups.filter((g) => (BUILTIN_FIELDS as readonly string[]).includes(g));
  if (reserved.length > 0) throw invalid(`Hook '${hook}': the pattern's group name '${reserved[0]}' is a built-in field; rename the group.`);
  const known = [...BUILTIN_FIELDS, ...groups];
  const name = text(target.name) ?? '{basename}';
  checkTemplate(name, known, `file name of hook '${hook}'`);
  const dataset = text(target.dataset);
  if (dataset) checkTemplate(dataset, known, `dataset name of hook '${hook}'`);
  const meta: Record<string, string> = {};
  if (target.meta !== undefined && target.meta !== null) {
    if (typeof target.meta !== 'object' || Array.isArray(target.meta)) throw invalid(`Hook '${hook}': target meta is an object of key -> template.`);
    for (const [key, value] of Object.entries(target.meta as Record<string, unknown>)) {
      if (typeof value !== 'string') throw invalid(`Hook '${hook}': metadata '${key}' must be a text template, e.g. "{run}".`);
      if (/[{}]/.test(value)) checkTemplate(value, known, `metadata '${key}' of hook '${hook}'`);
      meta[key] = value;
    }
  }
  return { scope: scope!, rse, name, dataset, pattern, meta };
}

/** Validates and normalises a hook (creation, or an update merged over the stored hook). */
export function parseHookSpec(input: HookInput, defaults: { account: string }): HookSpec {
  const name = validateHookName(input.name);
  const account = input.account ?? defaults.account;
  const accountError = accountProblem(account);
  if (accountError) throw invalid(`Hook '${name}': invalid account '${account}': ${accountError}.`);
  const timezone = text(input.timezone);
  const schedule = validateSchedule(input.schedule, timezone, name);
  const source = parseSource(input.source, name);
  const target = parseTarget(input.target, source, name);
  const checksum = (input.checksum ?? (source.kind === 'dropbox' ? 'compute' : 'registrar')) as ChecksumPolicy;
  if (!CHECKSUM_POLICIES.includes(checksum)) {
    throw invalid(`Hook '${name}': checksum policy '${input.checksum}' is unknown; use ${CHECKSUM_POLICIES.join(', ')}.`);
  }
  const removeSource = Boolean(input.after?.removeSource ?? input.after?.remove_source ?? false);
  if (removeSource && source.kind !== 'dropbox') {
    throw invalid(`Hook '${name}': removing the source only applies to drop-box hooks; zero-copy files stay where they are.`);
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw invalid(`Hook '${name}': enabled is true or false.`);
  const comment = input.comment === undefined || input.comment === null ? null : String(input.comment).slice(0, 255);
  return {
    name,
    account,
    schedule,
    timezone,
    enabled: input.enabled ?? true,
    source,
    target,
    checksum,
    rules: parseRuleTemplates(input.rules, `hook '${name}'`),
    after: { removeSource },
    comment,
  };
}
