import { InvalidInput, QuotaExceeded } from './errors.js';
import { PlacementCandidate, PlacementFile, PlacementInput, placeRule } from './placement.js';
import { ReplicaState, RuleGrouping } from './states.js';

const candidate = (name: string, overrides: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
  id: name.toLowerCase(),
  name,
  freeBytes: null,
  quotaLeft: Infinity,
  availabilityWrite: true,
  ...overrides,
});

const file = (name: string, bytes: number, extra: Partial<PlacementFile> = {}): PlacementFile => ({
  scope: 'user.jdoe',
  name,
  bytes,
  ...extra,
});

/** A random source that returns the given values in turn, forever. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

const A = candidate('SITE_A');
const B = candidate('SITE_B');
const C = candidate('SITE_C');

function place(overrides: Partial<PlacementInput>) {
  return placeRule({
    candidates: [A, B, C],
    copies: 1,
    grouping: RuleGrouping.ALL,
    files: [file('f1', 100), file('f2', 50)],
    random: sequence(0),
    did: 'user.jdoe:ds',
    ...overrides,
  });
}

function failure(fn: () => unknown): QuotaExceeded | InvalidInput {
  try {
    fn();
  } catch (error) {
    return error as QuotaExceeded | InvalidInput;
  }
  throw new Error('expected placement to fail');
}

describe('placeRule: grouping', () => {
  it('ALL puts every file on the same RSEs', () => {
    const { groups } = place({ copies: 2, random: sequence(0.5, 0.9) });
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ key: 'all', bytes: 150, dataset: null });
    expect(groups[0].files.map((f) => f.name)).toEqual(['f1', 'f2']);
    expect(groups[0].rseIds).toEqual(['site_b', 'site_c']);
  });

  it('DATASET groups files by dataset; files without dataset form their own group; declared empty datasets too', () => {
    const ds1 = { scope: 'user.jdoe', name: 'ds1' };
    const ds2 = { scope: 'user.jdoe', name: 'ds2' };
    const { groups } = place({
      grouping: RuleGrouping.DATASET,
      files: [file('a', 1, { dataset: ds1 }), file('b', 2, { dataset: ds2 }), file('c', 4, { dataset: ds1 }), file('d', 8)],
      datasets: [{ scope: 'user.jdoe', name: 'empty' }],
    });
    expect(groups.map((g) => [g.key, g.bytes, g.files.map((f) => f.name)])).toEqual([
      ['dataset:user.jdoe:empty', 0, []],
      ['dataset:user.jdoe:ds1', 5, ['a', 'c']],
      ['dataset:user.jdoe:ds2', 2, ['b']],
      ['files', 8, ['d']],
    ]);
    groups.forEach((g) => expect(g.rseIds).toHaveLength(1));
  });

  it('NONE places each distinct file on its own', () => {
    const { groups } = place({
      grouping: RuleGrouping.NONE,
      files: [file('a', 1), file('b', 2), file('a', 1)],
      random: sequence(0.1, 0.7),
    });
    expect(groups.map((g) => [g.key, g.rseIds])).toEqual([
      ['file:user.jdoe:a', ['site_a']],
      ['file:user.jdoe:b', ['site_c']],
    ]);
  });

  it('rejects an unknown grouping and bad copies or sizes', () => {
    expect(failure(() => place({ grouping: 'X' as RuleGrouping })).rucioClass).toBe('InvalidReplicationRule');
    expect(failure(() => place({ copies: 0 })).message).toMatch(/at least 1, not 0/);
    expect(failure(() => place({ copies: 1.5 }))).toBeInstanceOf(InvalidInput);
    expect(failure(() => place({ files: [file('x', -1)] })).message).toMatch(/user.jdoe:x has an invalid size -1/);
  });
});

describe('placeRule: preference for RSEs already holding the data', () => {
  const files = [
    file('f1', 100, { replicas: [{ rseId: 'site_c', state: ReplicaState.AVAILABLE }] }),
    file('f2', 50, {
      replicas: [
        { rseId: 'site_c', state: ReplicaState.COPYING },
        { rseId: 'site_b', state: ReplicaState.TEMPORARY_UNAVAILABLE },
      ],
    }),
  ];

  it('takes the RSE with most bytes first, then the next, whatever the random source says', () => {
    for (const r of [0, 0.5, 0.99]) {
      expect(place({ files, copies: 1, random: () => r }).groups[0].rseIds).toEqual(['site_c']);
      expect(place({ files, copies: 2, random: () => r }).groups[0].rseIds).toEqual(['site_c', 'site_b']);
    }
  });

  it('ignores replicas that do not hold the data (UNAVAILABLE, BAD)', () => {
    const stale = [file('f1', 100, { replicas: [{ rseId: 'site_c', state: ReplicaState.UNAVAILABLE }, { rseId: 'site_b', state: ReplicaState.BAD }] })];
    expect(place({ files: stale, random: () => 0 }).groups[0].rseIds).toEqual(['site_a']);
  });

  it('NONE prefers the RSE that has the file', () => {
    const { groups } = place({ grouping: RuleGrouping.NONE, files: [files[0]], random: () => 0 });
    expect(groups[0].rseIds).toEqual(['site_c']);
  });

  it('counts replicas planned for earlier groups (a file shared by two datasets)', () => {
    const ds1 = { scope: 's', name: 'ds1' };
    const ds2 = { scope: 's', name: 'ds2' };
    const shared = file('shared', 10, { dataset: ds1 });
    const { groups } = place({
      grouping: RuleGrouping.DATASET,
      files: [
        file('x', 100, { dataset: ds1, replicas: [{ rseId: 'site_b', state: ReplicaState.AVAILABLE }] }),
        shared,
        { ...shared, dataset: ds2 },
      ],
      random: () => 0,
    });
    expect(groups.map((g) => g.rseIds)).toEqual([['site_b'], ['site_b']]);
  });

  it('takes explicitly preferred RSEs first', () => {
    expect(place({ files, copies: 2, preferredRseIds: ['site_a', 'nope'] }).groups[0].rseIds).toEqual(['site_a', 'site_c']);
  });

  it('never places a group where one of its replicas is being deleted', () => {
    const deleting = [file('f1', 100, { replicas: [{ rseId: 'site_a', state: ReplicaState.BEING_DELETED }] })];
    for (const r of [0, 0.5, 0.99]) {
      expect(place({ files: deleting, copies: 2, random: () => r }).groups[0].rseIds).not.toContain('site_a');
    }
    const error = failure(() => place({ files: deleting, copies: 3 }));
    expect(error.rucioClass).toBe('InsufficientTargetRSEs');
    expect(error.message).toMatch(/SITE_A \(a replica there is being deleted\)/);
  });
});

describe('placeRule: weight', () => {
  const weighted = [candidate('SITE_A', { weight: 0 }), candidate('SITE_B', { weight: '1' }), candidate('SITE_C', { weight: 3 }), candidate('SITE_D')];

  it('picks in proportion to the weight attribute', () => {
    expect(place({ candidates: weighted, weight: 'w', random: () => 0.1 }).groups[0].rseIds).toEqual(['site_b']);
    expect(place({ candidates: weighted, weight: 'w', random: () => 0.5 }).groups[0].rseIds).toEqual(['site_c']);
  });

  it('never picks an RSE without the attribute; weight 0 only once no positive weight is left (as Rucio)', () => {
    for (let i = 0; i < 50; i++) {
      const r = i / 50;
      const chosen = place({ candidates: weighted, weight: 'w', copies: 2, random: () => r }).groups[0].rseIds;
      expect(chosen.sort()).toEqual(['site_b', 'site_c']);
    }
    const all = place({ candidates: weighted, weight: 'w', copies: 3, random: () => 0.3 }).groups[0].rseIds;
    expect(all[2]).toBe('site_a');
    expect(all).not.toContain('site_d');
  });

  it('reads booleans and numeric strings as Rucio does (float())', () => {
    const c = [candidate('SITE_A', { weight: true }), candidate('SITE_B', { weight: ' 2.5e0 ' })];
    expect(place({ candidates: c, weight: 'w', copies: 2 }).groups[0].rseIds.sort()).toEqual(['site_a', 'site_b']);
  });

  it('fails with InsufficientTargetRSEs naming RSEs without the attribute', () => {
    const error = failure(() => place({ candidates: weighted, weight: 'w', copies: 4 }));
    expect(error).toBeInstanceOf(QuotaExceeded);
    expect(error.rucioClass).toBe('InsufficientTargetRSEs');
    expect(error.message).toMatch(/Cannot place 4 copies of user.jdoe:ds: only SITE_A, SITE_B, SITE_C qualify\. Excluded: SITE_D \(no 'w' attribute\)/);
  });

  it('rejects a weight that is not a non-negative number', () => {
    for (const weight of ['heavy', -1, 'nan']) {
      const error = failure(() => place({ candidates: [candidate('SITE_A', { weight })], weight: 'w' }));
      expect(error.rucioClass).toBe('InvalidRuleWeight');
      expect(error.message).toMatch(/RSE 'SITE_A' has weight attribute 'w'/);
    }
  });
});

describe('placeRule: quotas, space and availability', () => {
  it('skips RSEs whose quota cannot take the group and names the numbers when too few are left', () => {
    const c = [candidate('SITE_A', { quotaLeft: 100 }), candidate('SITE_B', { quotaLeft: 1000 }), candidate('SITE_C', { quotaLeft: 0 })];
    for (const r of [0, 0.99]) expect(place({ candidates: c, random: () => r }).groups[0].rseIds).toEqual(['site_b']);
    const error = failure(() => place({ candidates: c, copies: 2, rseExpression: 'tier=1' }));
    expect(error.rucioClass).toBe('InsufficientAccountLimit');
    expect(error.message).toMatch(
      /Cannot place 2 copies of all 2 file\(s\) of user.jdoe:ds \(150 B\) on 'tier=1': only SITE_B qualifies\. Excluded: SITE_C \(no account quota left\); SITE_A \(account quota left 100 B < 150 B\)\. Ask an administrator/,
    );
  });

  it('fails up front when fewer RSEs than copies have any quota', () => {
    const c = [candidate('SITE_A', { quotaLeft: 0 }), candidate('SITE_B', { quotaLeft: -5 })];
    const error = failure(() => place({ candidates: c }));
    expect(error.rucioClass).toBe('InsufficientAccountLimit');
    expect(error.message).toMatch(/no RSE qualifies/);
  });

  it('charges quota for all bytes, even those already on the RSE (the account pays for every lock)', () => {
    const c = [candidate('SITE_A', { quotaLeft: 100 }), candidate('SITE_B', { quotaLeft: 1000 })];
    const held = [file('f1', 150, { replicas: [{ rseId: 'site_a', state: ReplicaState.AVAILABLE }] })];
    expect(place({ candidates: c, files: held }).groups[0].rseIds).toEqual(['site_b']);
  });

  it('uses up quota group by group', () => {
    const c = [candidate('SITE_A', { quotaLeft: 100 }), candidate('SITE_B', { quotaLeft: 1000 })];
    const { groups } = place({ candidates: c, grouping: RuleGrouping.NONE, files: [file('x', 60), file('y', 60)], random: () => 0 });
    expect(groups.map((g) => g.rseIds)).toEqual([['site_a'], ['site_b']]);
  });

  it('lets admins ignore quotas', () => {
    const c = [candidate('SITE_A', { quotaLeft: 0 }), candidate('SITE_B', { quotaLeft: 10 })];
    expect(place({ candidates: c, copies: 2, isAdmin: true }).groups[0].rseIds.sort()).toEqual(['site_a', 'site_b']);
  });

  it('skips RSEs without the free space for the bytes not already there', () => {
    const c = [candidate('SITE_A', { freeBytes: 60 }), candidate('SITE_B', { freeBytes: 100 }), candidate('SITE_C', { freeBytes: null })];
    const files = [file('f1', 100, { replicas: [{ rseId: 'site_a', state: ReplicaState.AVAILABLE }] }), file('f2', 50)];
    // SITE_A needs only 50 more bytes; SITE_B would need 150.
    expect(place({ candidates: c, files, copies: 2, random: () => 0 }).groups[0].rseIds).toEqual(['site_a', 'site_c']);
    const error = failure(() => place({ candidates: c, files, copies: 3, isAdmin: true }));
    expect(error.rucioClass).toBe('RSEOverQuota');
    expect(error.message).toMatch(/only SITE_A, SITE_C qualify\. Excluded: SITE_B \(free space 100 B < 150 B to copy there\)/);
  });

  it('uses up free space group by group', () => {
    const c = [candidate('SITE_A', { freeBytes: 100 }), candidate('SITE_B')];
    const { groups } = place({ candidates: c, grouping: RuleGrouping.NONE, files: [file('x', 60), file('y', 60)], random: () => 0 });
    expect(groups.map((g) => g.rseIds)).toEqual([['site_a'], ['site_b']]);
  });

  it('leaves out RSEs not available for writing unless availability is ignored', () => {
    const c = [candidate('SITE_A', { availabilityWrite: false }), B];
    expect(place({ candidates: c, random: () => 0 }).groups[0].rseIds).toEqual(['site_b']);
    expect(place({ candidates: c, random: () => 0, ignoreAvailability: true }).groups[0].rseIds).toEqual(['site_a']);
    const blocked = failure(() => place({ candidates: [c[0]] }));
    expect(blocked.rucioClass).toBe('RSEWriteBlocked');
    expect(blocked.message).toMatch(/SITE_A \(not available for writing\).*ignore_availability/);
    const tooFew = failure(() => place({ candidates: c, copies: 2 }));
    expect(tooFew.rucioClass).toBe('InsufficientTargetRSEs');
  });
});
