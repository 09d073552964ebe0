import { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { DaemonMetrics, DaemonRunner, type DaemonDefinition, type PassResult } from '@tarn/daemon';
import type { Logger } from '@tarn/events';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleReevaluationService } from '@tarn/core/rules/rule-reevaluation.service.js';
import { RuleRepairService } from '@tarn/core/rules/rule-repair.service.js';
import { ExpiryService } from '@tarn/core/rules/expiry.service.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';

export interface RecordingLogger extends Logger {
  lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(`log ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** A test database with the rule daemons' services, an administrator, a user with a scope. */
export interface RuleDaemonsContext {
  db: TestDatabase;
  moduleRef: TestingModule;
  rules: RuleService;
  dids: DidService;
  reevaluation: RuleReevaluationService;
  repair: RuleRepairService;
  expiry: ExpiryService;
  root: CreatedAccount;
  user: CreatedAccount;
  scope: string;
  close(): Promise<void>;
}

export async function ruleDaemonsContext(): Promise<RuleDaemonsContext> {
  const db = await createTestDatabase();
  const moduleRef = await createTestingModule(db, [RuleDaemonsModule, DidsModule, ReplicasModule]);
  const root = await createAccount(db.dataSource, { account: 'root', admin: true });
  const user = await createAccount(db.dataSource, { account: 'jdoe' });
  const { scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: user.account });
  return {
    db,
    moduleRef,
    rules: moduleRef.get(RuleService),
    dids: moduleRef.get(DidService),
    reevaluation: moduleRef.get(RuleReevaluationService),
    repair: moduleRef.get(RuleRepairService),
    expiry: moduleRef.get(ExpiryService),
    root,
    user,
    scope,
    close: async () => {
      await moduleRef.close();
      await db.drop();
    },
  };
}

export interface TestRunner {
  runner: DaemonRunner;
  logger: RecordingLogger;
  /** One pass (heartbeat, metrics), errors thrown. */
  runOnce(): Promise<PassResult>;
  stop(): Promise<void>;
}

/** A runner over a test database with a recording logger (call `stop()` at the end). */
export function testRunner(dataSource: DataSource, definition: DaemonDefinition, logger = recordingLogger()): TestRunner {
  const runner = new DaemonRunner(definition, { dataSource, metrics: new DaemonMetrics(), logger });
  return { runner, logger, runOnce: () => runner.runOnce(), stop: () => runner.stop() };
}

/**
 * Everything that must agree after any interleaving of daemons: each rule's counters and its lock rows by state,
 * each replica's lock_cnt and the locks on it, locks and their replicas, account usage and the locks' bytes.
 * Returns the disagreements (empty when consistent).
 */
export async function inconsistencies(dataSource: DataSource): Promise<string[]> {
  const problems: string[] = [];
  const counters = await dataSource.query(
    `SELECT r.id, r.locks_ok_cnt, r.locks_replicating_cnt, r.locks_stuck_cnt, coalesce(l.ok, 0) AS ok, coalesce(l.rep, 0) AS rep, coalesce(l.stuck, 0) AS stuck
       FROM rules r LEFT JOIN (SELECT rule_id, count(*) FILTER (WHERE state = 'O') AS ok, count(*) FILTER (WHERE state = 'R') AS rep,
                                      count(*) FILTER (WHERE state = 'S') AS stuck FROM locks GROUP BY rule_id) l ON l.rule_id = r.id
      WHERE r.locks_ok_cnt <> coalesce(l.ok, 0) OR r.locks_replicating_cnt <> coalesce(l.rep, 0) OR r.locks_stuck_cnt <> coalesce(l.stuck, 0)`,
  );
  for (const c of counters) {
    problems.push(`rule ${c.id}: counters ${c.locks_ok_cnt}/${c.locks_replicating_cnt}/${c.locks_stuck_cnt}, locks ${c.ok}/${c.rep}/${c.stuck}`);
  }
  const lockCounts = await dataSource.query(
    `SELECT r.scope, r.name, r.rse_id, r.lock_cnt, coalesce(l.n, 0) AS n
       FROM replicas r LEFT JOIN (SELECT scope, name, rse_id, count(*) AS n FROM locks GROUP BY scope, name, rse_id) l
         ON l.scope = r.scope AND l.name = r.name AND l.rse_id = r.rse_id
      WHERE r.lock_cnt <> coalesce(l.n, 0) LIMIT 20`,
  );
  for (const r of lockCounts) problems.push(`replica ${r.scope}:${r.name}@${r.rse_id}: lock_cnt ${r.lock_cnt}, locks ${r.n}`);
  const orphans = await dataSource.query(
    `SELECT l.scope, l.name, l.rse_id FROM locks l
      WHERE NOT EXISTS (SELECT 1 FROM replicas r WHERE r.scope = l.scope AND r.name = l.name AND r.rse_id = l.rse_id) LIMIT 20`,
  );
  for (const o of orphans) problems.push(`lock on ${o.scope}:${o.name}@${o.rse_id} without a replica`);
  const usage = await dataSource.query(
    `SELECT coalesce(u.account, l.account) AS account, coalesce(u.rse_id, l.rse_id) AS rse_id, coalesce(u.files, 0) AS uf, coalesce(l.files, 0) AS lf,
            coalesce(u.bytes, 0) AS ub, coalesce(l.bytes, 0) AS lb
       FROM account_usage u FULL JOIN (SELECT account, rse_id, count(*) AS files, sum(bytes) AS bytes FROM locks GROUP BY account, rse_id) l
         ON l.account = u.account AND l.rse_id = u.rse_id
      WHERE coalesce(u.files, 0) <> coalesce(l.files, 0) OR coalesce(u.bytes, 0) <> coalesce(l.bytes, 0)`,
  );
  for (const u of usage) problems.push(`usage of ${u.account} on ${u.rse_id}: ${u.uf} files/${u.ub} bytes, locks ${u.lf}/${u.lb}`);
  return problems;
}

/** Counts of a rule's lock rows by RSE. */
export async function locksPerRse(dataSource: DataSource, ruleId: string): Promise<Record<string, number>> {
  const rows = await dataSource.query(`SELECT rse_id, count(*)::int AS n FROM locks WHERE rule_id = $1 GROUP BY rse_id`, [ruleId]);
  return Object.fromEntries(rows.map((r: { rse_id: string; n: number }) => [r.rse_id, r.n]));
}

export async function ruleRow(dataSource: DataSource, ruleId: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await dataSource.query(
    `SELECT state, error, locks_ok_cnt::int AS ok, locks_replicating_cnt::int AS replicating, locks_stuck_cnt::int AS stuck, repair_cnt, stuck_at
       FROM rules WHERE id = $1`,
    [ruleId],
  );
  return row;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
