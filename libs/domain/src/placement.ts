import { InvalidInput, QuotaExceeded, QuotaExceededClass } from './errors.js';
import { formatBytes } from './format.js';
import { Did, formatDid } from './names.js';
import { RseAttributeValue } from './rse-descriptor.js';
import { attributeNumber } from './rse-expression.evaluator.js';
import { ReplicaState, RuleGrouping } from './states.js';
import { weightedPick } from './weighted-pick.js';

/**
 * Rule placement after Rucio's RSESelector (lib/rucio/core/rse_selector.py) and rule_grouping.py:
 * RSEs holding most of a group's bytes first, then weighted random; RSEs without the weight attribute are
 * never candidates; space counts only bytes not already on the RSE, quota counts all of the group's bytes
 * (the account is charged for every lock, whether or not the replica already existed).
 */

export interface PlacementCandidate {
  id: string;
  name: string;
  /** Value of the rule's weight attribute on this RSE; undefined/null when the RSE lacks the attribute. */
  weight?: RseAttributeValue | null;
  /** Bytes the RSE can still take (MinFreeSpace already deducted by the caller); null when unknown. */
  freeBytes: number | null;
  /** Bytes left of the account's limit on this RSE; Infinity when unlimited. */
  quotaLeft: number;
  availabilityWrite: boolean;
}

export interface FileReplicaRef {
  rseId: string;
  state: ReplicaState;
}

export interface PlacementFile {
  scope: string;
  name: string;
  bytes: number;
  /** Dataset the file belongs to under the rule's DID; null/undefined when the rule is on the file itself. */
  dataset?: Did | null;
  /** Existing replicas of the file, any state. */
  replicas?: readonly FileReplicaRef[];
}

export interface PlacementInput {
  candidates: readonly PlacementCandidate[];
  copies: number;
  grouping: RuleGrouping;
  files: readonly PlacementFile[];
  /** Datasets that form a DATASET group even without files (a rule on an empty dataset still picks RSEs). */
  datasets?: readonly Did[];
  /** Name of the numeric RSE attribute used as weight, or null/undefined for equal weights. */
  weight?: string | null;
  /** Admins (and rules that ignore account limits) are not held to quotas. */
  isAdmin?: boolean;
  /** Without it, RSEs not available for writing are no candidates. */
  ignoreAvailability?: boolean;
  /** RSEs to take first, in order, when they qualify (e.g. where the rule's other files already are). */
  preferredRseIds?: readonly string[];
  /** Uniform in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  /** For messages: the rule's DID and expression. */
  did?: string;
  rseExpression?: string;
}

export interface PlacementGroup {
  /** 'all', 'dataset:<scope:name>', 'files' (files without dataset) or 'file:<scope:name>'. */
  key: string;
  dataset: Did | null;
  files: PlacementFile[];
  bytes: number;
  /** Chosen RSE ids, `copies` of them. */
  rseIds: string[];
}

export interface Placement {
  groups: PlacementGroup[];
}

interface Candidate extends PlacementCandidate {
  weightValue: number;
}

interface Exclusion {
  name: string;
  reason: string;
}

const HOLDING_STATES = new Set<ReplicaState>([
  ReplicaState.AVAILABLE,
  ReplicaState.COPYING,
  ReplicaState.TEMPORARY_UNAVAILABLE,
]);

const QUOTA_ADVICE = 'Ask an administrator to raise your account limit on these RSEs, or free quota by removing rules.';

const fileKey = (file: { scope: string; name: string }): string => `${file.scope}:${file.name}`;

function groupFiles(input: PlacementInput): Array<Omit<PlacementGroup, 'rseIds' | 'bytes'>> {
  const distinct = (files: readonly PlacementFile[]): PlacementFile[] => {
    const byKey = new Map<string, PlacementFile>();
    for (const file of files) if (!byKey.has(fileKey(file))) byKey.set(fileKey(file), file);
    return [...byKey.values()];
  };

  switch (input.grouping) {
    case RuleGrouping.ALL:
      return [{ key: 'all', dataset: null, files: distinct(input.files) }];
    case RuleGrouping.NONE:
      return distinct(input.files).map((file) => ({ key: `file:${fileKey(file)}`, dataset: null, files: [file] }));
    case RuleGrouping.DATASET: {
      const groups = new Map<string, { key: string; dataset: Did | null; files: PlacementFile[] }>();
      const groupOf = (dataset: Did | null) => {
        const key = dataset ? `dataset:${formatDid(dataset)}` : 'files';
        let group = groups.get(key);
        if (!group) {
          group = { key, dataset: dataset ? { scope: dataset.scope, name: dataset.name } : null, files: [] };
          groups.set(key, group);
        }
        return group;
      };
      for (const dataset of input.datasets ?? []) groupOf(dataset);
      for (const file of input.files) groupOf(file.dataset ?? null).files.push(file);
      return [...groups.values()].map((group) => ({ ...group, files: distinct(group.files) }));
    }
    default:
      throw new InvalidInput(`Unknown rule grouping '${String(input.grouping)}'. Use ALL, DATASET or NONE.`, {
        rucioClass: 'InvalidReplicationRule',
        details: { grouping: input.grouping },
      });
  }
}

function describeGroup(group: Omit<PlacementGroup, 'rseIds'>, did: string | undefined): string {
  if (group.key === 'all') return `all ${group.files.length} file(s) of ${did ?? "the rule's DID"}`;
  if (group.dataset) return `dataset ${formatDid(group.dataset)}`;
  if (group.key === 'files') return `the files directly under ${did ?? "the rule's DID"}`;
  return `file ${fileKey(group.files[0])}`;
}

function shortage(
  rucioClass: QuotaExceededClass,
  input: PlacementInput,
  what: string,
  qualifying: readonly Candidate[],
  excluded: readonly Exclusion[],
  advice: string,
  details: Record<string, unknown> = {},
): QuotaExceeded {
  const copies = `${input.copies} cop${input.copies === 1 ? 'y' : 'ies'}`;
  const on = input.rseExpression ? ` on '${input.rseExpression}'` : '';
  const qualified = qualifying.length === 0 ? 'no RSE qualifies' : `only ${qualifying.map((c) => c.name).join(', ')} qualif${qualifying.length === 1 ? 'ies' : 'y'}`;
  const reasons = excluded.length === 0 ? '' : ` Excluded: ${excluded.map((e) => `${e.name} (${e.reason})`).join('; ')}.`;
  return new QuotaExceeded(`Cannot place ${copies} of ${what}${on}: ${qualified}.${reasons} ${advice}`, {
    rucioClass,
    details: {
      copies: input.copies,
      qualifying: qualifying.map((c) => c.name),
      excluded,
      ...details,
    },
  });
}

function parseWeight(candidate: PlacementCandidate, weight: string): number | null {
  if (candidate.weight === undefined || candidate.weight === null) return null;
  const value = attributeNumber(candidate.weight);
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidInput(
      `RSE '${candidate.name}' has weight attribute '${weight}' = '${String(candidate.weight)}', which is not a non-negative number. ` +
        `Fix the attribute on the RSE, or create the rule with another weight.`,
      { rucioClass: 'InvalidRuleWeight', details: { rse: candidate.name, weight, value: candidate.weight } },
    );
  }
  return value;
}

/** Candidates that can take any part of the rule at all (and why the others cannot), or throws. */
function eligibleCandidates(input: PlacementInput): { eligible: Candidate[]; excluded: Exclusion[] } {
  const what = input.did ?? "the rule's DID";
  const excluded: Exclusion[] = [];
  let candidates = [...input.candidates];

  if (!input.ignoreAvailability) {
    const blocked = candidates.filter((c) => !c.availabilityWrite);
    candidates = candidates.filter((c) => c.availabilityWrite);
    blocked.forEach((c) => excluded.push({ name: c.name, reason: 'not available for writing' }));
    if (candidates.length === 0 && blocked.length > 0) {
      throw shortage('RSEWriteBlocked', input, what, [], excluded,
        'Wait until an operator enables writing, or create the rule with ignore_availability.');
    }
  }

  const withWeight: Candidate[] = [];
  for (const candidate of candidates) {
    if (!input.weight) {
      withWeight.push({ ...candidate, weightValue: 1 });
      continue;
    }
    const weightValue = parseWeight(candidate, input.weight);
    if (weightValue === null) excluded.push({ name: candidate.name, reason: `no '${input.weight}' attribute` });
    else withWeight.push({ ...candidate, weightValue });
  }
  if (withWeight.length < input.copies) {
    throw shortage('InsufficientTargetRSEs', input, what, withWeight, excluded,
      'Use a wider RSE expression, fewer copies, or another weight attribute.');
  }

  if (input.isAdmin) return { eligible: withWeight.map((c) => ({ ...c, quotaLeft: Infinity })), excluded };
  const withQuota = withWeight.filter((c) => {
    if (c.quotaLeft > 0) return true;
    excluded.push({ name: c.name, reason: 'no account quota left' });
    return false;
  });
  if (withQuota.length < input.copies) {
    throw shortage('InsufficientAccountLimit', input, what, withQuota, excluded, QUOTA_ADVICE);
  }
  return { eligible: withQuota, excluded };
}

function validateInput(input: PlacementInput): void {
  if (!Number.isInteger(input.copies) || input.copies < 1) {
    throw new InvalidInput(`A rule needs a whole number of copies of at least 1, not ${input.copies}.`, {
      rucioClass: 'InvalidReplicationRule',
      details: { copies: input.copies },
    });
  }
  for (const file of input.files) {
    if (!Number.isFinite(file.bytes) || file.bytes < 0) {
      throw new InvalidInput(`File ${fileKey(file)} has an invalid size ${file.bytes}; sizes are non-negative byte counts.`, {
        rucioClass: 'InvalidObject',
        details: { scope: file.scope, name: file.name, bytes: file.bytes },
      });
    }
  }
}

/** Chooses `copies` RSEs for each group of the rule's files (per the rule's grouping). */
export function placeRule(input: PlacementInput): Placement {
  validateInput(input);
  const random = input.random ?? Math.random;
  const { eligible: candidates, excluded: excludedUpfront } = eligibleCandidates(input);
  const quotaLeft = new Map(candidates.map((c) => [c.id, c.quotaLeft]));
  const freeBytes = new Map(candidates.map((c) => [c.id, c.freeBytes]));
  // Replicas this placement creates count as coverage for later groups sharing the same files.
  const planned = new Map<string, Set<string>>();

  const groups: PlacementGroup[] = [];
  for (const shape of groupFiles(input)) {
    const bytes = shape.files.reduce((sum, file) => sum + file.bytes, 0);
    const what = `${describeGroup({ ...shape, bytes }, input.did)} (${formatBytes(bytes)})`;
    const coverage = new Map<string, number>();
    const beingDeleted = new Set<string>();
    for (const file of shape.files) {
      const holders = new Set(planned.get(fileKey(file)) ?? []);
      for (const replica of file.replicas ?? []) {
        if (HOLDING_STATES.has(replica.state)) holders.add(replica.rseId);
        if (replica.state === ReplicaState.BEING_DELETED) beingDeleted.add(replica.rseId);
      }
      holders.forEach((rseId) => coverage.set(rseId, (coverage.get(rseId) ?? 0) + file.bytes));
    }
    const covered = (c: Candidate): number => coverage.get(c.id) ?? 0;

    const excluded: Exclusion[] = [...excludedUpfront];
    let eligible = candidates.filter((c) => {
      if (!beingDeleted.has(c.id)) return true;
      excluded.push({ name: c.name, reason: 'a replica there is being deleted' });
      return false;
    });
    if (eligible.length < input.copies) {
      throw shortage('InsufficientTargetRSEs', input, what, eligible, excluded,
        'Retry after the deletion finishes, or use a wider RSE expression.');
    }
    eligible = eligible.filter((c) => {
      const free = freeBytes.get(c.id);
      const missing = bytes - covered(c);
      if (free === null || free === undefined || free >= missing) return true;
      excluded.push({ name: c.name, reason: `free space ${formatBytes(free)} < ${formatBytes(missing)} to copy there` });
      return false;
    });
    if (eligible.length < input.copies) {
      throw shortage('RSEOverQuota', input, what, eligible, excluded,
        'Free space on these RSEs, split the data into smaller rules, or use a wider RSE expression.', { bytes });
    }
    eligible = eligible.filter((c) => {
      const left = quotaLeft.get(c.id) ?? 0;
      if (left >= bytes) return true;
      excluded.push({ name: c.name, reason: `account quota left ${formatBytes(left)} < ${formatBytes(bytes)}` });
      return false;
    });
    if (eligible.length < input.copies) {
      throw shortage('InsufficientAccountLimit', input, what, eligible, excluded, QUOTA_ADVICE, { bytes });
    }

    const chosen: Candidate[] = [];
    for (let copy = 0; copy < input.copies; copy++) {
      const remaining = eligible.filter((c) => !chosen.includes(c));
      const preferredId = input.preferredRseIds?.find((id) => remaining.some((c) => c.id === id));
      let pick = remaining.find((c) => c.id === preferredId);
      if (!pick) {
        const most = Math.max(0, ...remaining.map(covered));
        const holders = remaining.filter((c) => most > 0 && covered(c) === most);
        pick = weightedPick(holders.length > 0 ? holders : remaining, (c) => c.weightValue, random);
      }
      chosen.push(pick);
    }

    for (const c of chosen) {
      quotaLeft.set(c.id, (quotaLeft.get(c.id) ?? 0) - bytes);
      const free = freeBytes.get(c.id);
      if (free !== null && free !== undefined) freeBytes.set(c.id, free - Math.max(0, bytes - covered(c)));
      for (const file of shape.files) {
        const holders = planned.get(fileKey(file)) ?? new Set<string>();
        holders.add(c.id);
        planned.set(fileKey(file), holders);
      }
    }
    groups.push({ ...shape, bytes, rseIds: chosen.map((c) => c.id) });
  }
  return { groups };
}
