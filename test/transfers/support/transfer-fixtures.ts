import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ChecksumSet } from '@tarn/checksums';
import { deterministicPath } from '@tarn/domain';
import { createStorage, type StorageProtocol, type StorageProtocolConfig } from '@tarn/storage';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { RuleDaemonsModule } from '@tarn/core/rules/rule-daemons.module.js';
import { RuleRepairService } from '@tarn/core/rules/rule-repair.service.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { TransfersModule } from '@tarn/core/transfers/transfers.module.js';
import { TransferFinisherService } from '@tarn/core/transfers/transfer-finisher.service.js';
import { TransferSubmitterService } from '@tarn/core/transfers/transfer-submitter.service.js';
import { TransferWorkerService } from '@tarn/core/transfers/transfer-worker.service.js';
import { TransferMetrics } from '@tarn/core/transfers/transfer.metrics.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';
import type { RseProtocolInput } from '@tarn/core/rses/rse.types.js';
import { TransferFinisherWorker } from '../../../apps/transfer-finisher/src/transfer-finisher.worker.js';
import { TransferSubmitterWorker } from '../../../apps/transfer-submitter/src/transfer-submitter.worker.js';
import { TransferWorkerWorker } from '../../../apps/transfer-worker/src/transfer-worker.worker.js';
import { RuleRepairerWorker } from '../../../apps/rule-repairer/src/rule-repairer.worker.js';
import { testRunner, type TestRunner } from '../../daemons/support/rule-daemons-fixtures.js';

export interface TransfersContext {
  db: TestDatabase;
  moduleRef: TestingModule;
  rules: RuleService;
  user: CreatedAccount;
  scope: string;
  submitter: TestRunner;
  worker: TestRunner;
  finisher: TestRunner;
  repairer: TestRunner;
  /** The submitter's and the finisher's transfer metrics. */
  metrics: Registry;
  close(): Promise<void>;
}

export async function transfersContext(): Promise<TransfersContext> {
  const db = await createTestDatabase();
  const moduleRef = await createTestingModule(db, [RuleDaemonsModule, DidsModule, ReplicasModule, TransfersModule]);
  await createAccount(db.dataSource, { account: 'root', admin: true });
  const user = await createAccount(db.dataSource, { account: 'jdoe' });
  const { scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: user.account });
  const metrics = new Registry();
  const submitter = testRunner(
    db.dataSource,
    new TransferSubmitterWorker(moduleRef.get(TransferSubmitterService), null, { intervalMs: 60_000, batchSize: 1000 }, undefined, new TransferMetrics(metrics)),
  );
  const worker = testRunner(
    db.dataSource,
    new TransferWorkerWorker(moduleRef.get(TransferWorkerService), null, { intervalMs: 60_000, concurrency: 8, batchSize: 200 }),
  );
  const finisher = testRunner(
    db.dataSource,
    new TransferFinisherWorker(moduleRef.get(TransferFinisherService), null, { intervalMs: 60_000, batchSize: 1000 }, undefined, new TransferMetrics(metrics)),
  );
  const repairer = testRunner(db.dataSource, new RuleRepairerWorker(moduleRef.get(RuleRepairService), null, { intervalMs: 60_000, batchSize: 100 }));
  return {
    db,
    moduleRef,
    rules: moduleRef.get(RuleService),
    user,
    scope,
    submitter,
    worker,
    finisher,
    repairer,
    metrics,
    close: async () => {
      for (const r of [submitter, worker, finisher, repairer]) await r.stop();
      await moduleRef.close();
      await db.drop();
    },
  };
}

/** An RSE protocol input reaching a test storage area, preferred for every operation. */
export function protocolOf(config: StorageProtocolConfig, impl = 'rucio.rse.protocols.posix.Default'): RseProtocolInput {
  return {
    scheme: config.scheme,
    hostname: config.hostname,
    port: config.port ?? 0,
    prefix: config.prefix,
    impl,
    domains: {
      lan: { read: 1, write: 1, delete: 1 },
      wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
    },
    extendedAttributes: config.extendedAttributes ?? null,
  };
}

export async function setConfig(dataSource: DataSource, section: string, opt: string, value: number | string): Promise<void> {
  await dataSource.query(
    `INSERT INTO configs (section, opt, value) VALUES ($1, $2, $3) ON CONFLICT (section, opt) DO UPDATE SET value = EXCLUDED.value`,
    [section, opt, String(value)],
  );
}

export interface TestFile {
  scope: string;
  name: string;
  bytes: number;
  adler32: string;
  md5: string;
  content: Buffer;
}

/** Random contents with their real checksums. */
export async function makeContents(scope: string, prefix: string, sizes: number[]): Promise<TestFile[]> {
  return Promise.all(
    sizes.map(async (bytes, i) => {
      const content = randomBytes(bytes);
      const set = await ChecksumSet.create(['adler32', 'md5']);
      set.update(content);
      const sums = set.result();
      return { scope, name: `${prefix}.${String(i).padStart(4, '0')}`, bytes, adler32: sums.adler32!, md5: sums.md5!, content };
    }),
  );
}

/**
 * Files registered (DIDs with their checksums) in a new dataset, written to `rse` at their deterministic paths
 * through `storage`, with AVAILABLE replicas there.
 */
export async function seedDataset(
  t: TransfersContext,
  name: string,
  files: TestFile[],
  holders: Array<{ rse: CreatedRse; storage: StorageProtocol }>,
): Promise<{ scope: string; name: string }> {
  await t.db.dataSource.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT $1::varchar, u.name, $2, 'F', u.bytes, u.adler32, u.md5 FROM unnest($3::varchar[], $4::bigint[], $5::varchar[], $6::varchar[]) AS u(name, bytes, adler32, md5)`,
    [t.scope, t.user.account, files.map((f) => f.name), files.map((f) => f.bytes), files.map((f) => f.adler32), files.map((f) => f.md5)],
  );
  for (const holder of holders) {
    await Promise.all(files.map((f) => holder.storage.write(deterministicPath(f.scope, f.name), Readable.from([f.content]))));
    await createReplicas(t.db.dataSource, { rseId: holder.rse.id, files });
  }
  return createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, name, files: files.map((f) => ({ ...f })) });
}

/** Runs submitter, worker and finisher passes until `done()` or `rounds` are over; returns the rounds used. */
export async function drive(t: TransfersContext, done: () => Promise<boolean>, rounds = 20): Promise<number> {
  for (let round = 1; round <= rounds; round++) {
    await t.submitter.runOnce();
    await t.worker.runOnce();
    await t.finisher.runOnce();
    if (await done()) return round;
  }
  // What the transfers are doing, and the last failures, to say why.
  const waiting = await t.db.dataSource.query(
    `SELECT state, retry_count, retry_after, err_msg, count(*)::int AS n FROM requests GROUP BY 1, 2, 3, 4 ORDER BY n DESC LIMIT 5`,
  );
  const failed = await t.db.dataSource.query(`SELECT name, err_msg FROM requests_history WHERE state = 'F' ORDER BY updated_at DESC LIMIT 5`);
  throw new Error(
    `not done after ${rounds} rounds of submitter, worker and finisher; requests: ${JSON.stringify(waiting)}; last failures: ${JSON.stringify(failed)}`,
  );
}

export async function ruleState(dataSource: DataSource, ruleId: string): Promise<{ state: string; ok: number; replicating: number; stuck: number; error: string | null }> {
  const [row] = await dataSource.query(
    `SELECT state, error, locks_ok_cnt::int AS ok, locks_replicating_cnt::int AS replicating, locks_stuck_cnt::int AS stuck FROM rules WHERE id = $1`,
    [ruleId],
  );
  return row;
}

export async function readAll(storage: StorageProtocol, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.read(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export { createStorage };
