import { countLocks, ruleLockPlan } from './lock-plan.js';
import { PlacementFile } from './placement.js';
import { LockState, ReplicaState } from './states.js';

const f = (name: string, replicas: Array<[string, ReplicaState]> = []): PlacementFile => ({
  scope: 's',
  name,
  bytes: 10,
  replicas: replicas.map(([rseId, state]) => ({ rseId, state })),
});

describe('ruleLockPlan', () => {
  it('gives an OK lock where the replica is available, otherwise a replicating lock, replica and transfer', () => {
    const files = [
      f('avail', [['x', ReplicaState.AVAILABLE]]),
      f('tmp', [['x', ReplicaState.TEMPORARY_UNAVAILABLE]]),
      f('copying', [['x', ReplicaState.COPYING]]),
      f('unavail', [['x', ReplicaState.UNAVAILABLE]]),
      f('bad', [['x', ReplicaState.BAD]]),
      f('deleting', [['x', ReplicaState.BEING_DELETED]]),
      f('missing', [['y', ReplicaState.AVAILABLE]]),
    ];
    const plan = ruleLockPlan([{ files, rseIds: ['x'], dataset: null }], { copies: 1 });
    expect(plan.map((e) => [e.name, e.lockState, e.replicaAction, e.replicaState, e.transfer])).toEqual([
      ['avail', LockState.OK, 'none', ReplicaState.AVAILABLE, false],
      ['tmp', LockState.OK, 'none', ReplicaState.TEMPORARY_UNAVAILABLE, false],
      ['copying', LockState.REPLICATING, 'none', ReplicaState.COPYING, false],
      ['unavail', LockState.REPLICATING, 'set-copying', ReplicaState.COPYING, true],
      ['bad', LockState.REPLICATING, 'set-copying', ReplicaState.COPYING, true],
      ['deleting', LockState.STUCK, 'none', ReplicaState.BEING_DELETED, false],
      ['missing', LockState.REPLICATING, 'create', ReplicaState.COPYING, true],
    ]);
    expect(countLocks(plan)).toEqual({ ok: 2, replicating: 4, stuck: 1 });
  });

  it('makes stuck locks without transfers where the RSE takes no writes or no source exists', () => {
    const files = [f('missing'), f('unavail', [['x', ReplicaState.UNAVAILABLE]]), f('nosource')];
    const plan = ruleLockPlan([{ files, rseIds: ['x', 'y'], dataset: null }], {
      copies: 2,
      isWritable: (rseId) => rseId !== 'x',
      hasSource: (file) => file.name !== 'nosource',
    });
    expect(plan.map((e) => [e.name, e.rseId, e.lockState, e.replicaAction, e.replicaState, e.transfer])).toEqual([
      ['missing', 'x', LockState.STUCK, 'create', ReplicaState.UNAVAILABLE, false],
      ['unavail', 'x', LockState.STUCK, 'none', ReplicaState.UNAVAILABLE, false],
      ['nosource', 'x', LockState.STUCK, 'create', ReplicaState.UNAVAILABLE, false],
      ['missing', 'y', LockState.REPLICATING, 'create', ReplicaState.COPYING, true],
      ['unavail', 'y', LockState.REPLICATING, 'create', ReplicaState.COPYING, true],
      ['nosource', 'y', LockState.STUCK, 'create', ReplicaState.UNAVAILABLE, false],
    ]);
  });

  it('never locks a file twice on one RSE nor more than `copies` times, counting existing locks', () => {
    const ds1 = { scope: 's', name: 'ds1' };
    const ds2 = { scope: 's', name: 'ds2' };
    const shared = f('shared');
    const plan = ruleLockPlan(
      [
        { files: [shared, f('old')], rseIds: ['x'], dataset: ds1 },
        { files: [shared], rseIds: ['x'], dataset: ds2 },
        { files: [shared], rseIds: ['y'], dataset: ds2 },
      ],
      { copies: 1, existingLocks: [{ scope: 's', name: 'old', rseId: 'z' }] },
    );
    expect(plan.map((e) => [e.name, e.rseId, e.dataset])).toEqual([['shared', 'x', ds1]]);
  });

  it('takes the dataset from the file when the group has none (ALL grouping)', () => {
    const ds = { scope: 's', name: 'ds' };
    const plan = ruleLockPlan([{ files: [{ ...f('a'), dataset: ds }], rseIds: ['x'], dataset: null }], { copies: 1 });
    expect(plan[0].dataset).toEqual(ds);
  });
});
