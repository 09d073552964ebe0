import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { LockState, RuleState } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { isAdminAccount } from '@tarn/catalogue/repositories/account.repository.js';
import { lockRepository } from '@tarn/catalogue/repositories/lock.repository.js';
import { ruleRepository } from '@tarn/catalogue/repositories/rule.repository.js';
import { type RepairBackoff, ruleRepairRepository } from '@tarn/catalogue/repositories/rule-repair.repository.js';
import { appendEvents, tarnEvent, type TarnEvent } from '@tarn/events';
import { applyLockProgress } from './rule-progress.js';
import { retryLocksInPlace } from './lock-retry.js';
import { isPlacementFailure, type MovedLock, RuleReevaluator } from './rule-reevaluation.js';

/** The repairer's knobs, from the configs table (section `repairer`). */
export interface RepairSettings extends RepairBackoff {
  /** Repair attempts of a rule before it is SUSPENDED (max_attempts, default 10). */
  maxAttempts: number;
  /** Failures of a lock on one RSE before it is moved to another RSE of the expression (move_after, default 3). */
  moveAfter: number;
}

export const DEFAULT_REPAIR_SETTINGS: RepairSettings = { baseSeconds: 60, maxSeconds: 6 * 3600, maxAttempts: 10, moveAfter: 3 };
const CONFIG_KEYS: Record<keyof RepairSettings, string> = {
  baseSeconds: 'backoff_base_seconds',
  maxSeconds: 'backoff_max_seconds',
  maxAttempts: 'max_attempts',
  moveAfter: 'move_after',
};
/** Stuck locks handled per repair of a rule; more wait for its next attempt. */
const STUCK_LOCKS_PER_REPAIR = 10_000;

export interface RepairOutcome {
  ruleId: string;
  /** The attempt this was (the rule's repair_cnt after it). */
  attempt: number;
  suspended: boolean;
  /** Locks retried on their RSE, moved to another one, and files newly placed. */
  retried: number;
  moved: MovedLock[];
  placed: number;
  state: RuleState;
  error: string | null;
}

async function readSettings(manager: EntityManager): Promise<RepairSettings> {
  const settings = { ...DEFAULT_REPAIR_SETTINGS };
  for (const key of Object.keys(CONFIG_KEYS) as Array<keyof RepairSettings>) {
    const raw = await ruleRepository.config(manager, 'repairer', CONFIG_KEYS[key]);
    const value = raw === null ? NaN : Number(raw);
    if (Number.isFinite(value) && value >= 0) settings[key] = value;
  }
  return settings;
}

/**
 * The rule repairer's unit of work: a STUCK rule, once its backoff (configs repairer/backoff_base_seconds,
 * backoff_max_seconds, doubling per attempt) is over, gets its unplaced files placed, its STUCK locks retried
 * (a new QUEUED transfer) or, after `move_after` failures on one RSE, moved to another RSE of its expression
 * that its group does not use yet; its counters are recounted from the locks. After `max_attempts` attempts it
 * is SUSPENDED, its last error kept. Never waits for the DID's pending attach/detach: a growing dataset does
 * not hold repairs back.
 */
@Injectable()
export class RuleRepairService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RuleReevaluator) private readonly reevaluator: RuleReevaluator,
  ) {}

  async settings(): Promise<RepairSettings> {
    return readSettings(this.dataSource.manager);
  }

  /** STUCK rules due for a repair attempt, oldest first. */
  async dueRuleIds(limit = 100, now = new Date()): Promise<string[]> {
    const manager = this.dataSource.manager;
    return ruleRepairRepository.stuckRulesDue(manager, now, await readSettings(manager), limit);
  }

  /** Repairs one STUCK rule; null when it is gone, not STUCK, or another repairer holds it. */
  async repairRule(ruleId: string, now = new Date()): Promise<RepairOutcome | null> {
    return unitOfWork(this.dataSource, { what: `repair of rule ${ruleId}` }, async (manager) => {
      const rule = await ruleRepository.findById(manager, ruleId, 'update-skip-locked');
      if (!rule || rule.state !== RuleState.STUCK) return null;
      const settings = await readSettings(manager);
      if (rule.repairCnt >= settings.maxAttempts) {
        const error = `Suspended after ${rule.repairCnt} repair attempt(s); last error: ${rule.error ?? 'none recorded'}. ` +
          'Fix the cause (RSEs, sources, quota), then resume the rule (update its state to REPLICATING).';
        await ruleRepairRepository.suspend(manager, rule.id, error);
        return { ruleId, attempt: rule.repairCnt, suspended: true, retried: 0, moved: [], placed: 0, state: RuleState.SUSPENDED, error };
      }
      const attempt = await ruleRepairRepository.countAttempt(manager, rule.id, now);
      const skipQuota = rule.ignoreAccountLimit || (await isAdminAccount(manager, rule.account));
      const events: TarnEvent[] = [];

      // Files without (enough) locks: new content whose placement failed earlier.
      let placementError: string | null = null;
      let placed = 0;
      await manager.query('SAVEPOINT tarn_repair_place');
      try {
        placed = (await this.reevaluator.addMissingLocks(manager, rule, { skipQuota })).files;
        await manager.query('RELEASE SAVEPOINT tarn_repair_place');
      } catch (error) {
        if (!isPlacementFailure(error)) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT tarn_repair_place');
        placementError = error.message.slice(0, 4000);
      }

      const stuck = await ruleRepairRepository.stuckLocks(manager, rule.id, STUCK_LOCKS_PER_REPAIR);
      const failing = stuck.filter((l) => l.repairCnt + 1 >= settings.moveAfter);
      const { moved, stay } = await this.reevaluator.moveLocks(
        manager,
        rule,
        failing.map((l) => ({ ...l, state: LockState.STUCK })),
        { skipQuota },
      );
      if (moved.length > 0) {
        const from = new Map(failing.map((l) => [`${l.scope}:${l.name}@${l.rseId}`, l]));
        await ruleRepairRepository.setLockErrors(
          manager,
          rule.id,
          moved.map((m) => {
            const old = from.get(`${m.scope}:${m.name}@${m.rseId}`);
            const failures = (old?.repairCnt ?? 0) + 1;
            return { scope: m.scope, name: m.name, rseId: m.toRseId, error: `moved here from ${m.fromRse} after ${failures} failure(s) there: ${old?.error ?? 'no error recorded'}` };
          }),
        );
      }
      const stays = new Set(stay.map((k) => `${k.scope}:${k.name}@${k.rseId}`));
      const retry = stuck.filter((l) => l.repairCnt + 1 < settings.moveAfter || stays.has(`${l.scope}:${l.name}@${l.rseId}`));
      await retryLocksInPlace(manager, rule, retry);

      // Counters from the locks themselves (the repairer also heals drift), state and events from the change.
      const counted = await lockRepository.countByState(manager, rule.id);
      if (placementError !== null) {
        const error = `Some files of the rule could not be placed: ${placementError}`;
        await ruleRepository.writeCounters(manager, [
          { id: rule.id, state: RuleState.STUCK, locksOkCnt: counted.ok, locksReplicatingCnt: counted.replicating, locksStuckCnt: counted.stuck, error, stuckAt: now },
        ]);
        events.push(tarnEvent('rule.stuck', { ruleId: rule.id, scope: rule.scope, name: rule.name, error }));
      } else {
        const current = (await ruleRepository.findById(manager, rule.id))!;
        // Placed what it could not place before, and nothing else failed: that error is history.
        const error = placed > 0 && stuck.length === 0 ? null : undefined;
        await ruleRepository.update(manager, rule.id, { state: RuleState.REPLICATING, error });
        events.push(
          ...(await applyLockProgress(manager, [
            {
              ruleId: rule.id,
              ok: counted.ok - current.locksOkCnt,
              replicating: counted.replicating - current.locksReplicatingCnt,
              stuck: counted.stuck - current.locksStuckCnt,
            },
          ])),
        );
      }
      await appendEvents(manager, events);
      const after = (await ruleRepository.findById(manager, rule.id))!;
      return { ruleId, attempt, suspended: false, retried: retry.length, moved, placed, state: after.state, error: after.error };
    });
  }
}
