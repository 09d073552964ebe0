import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TestingModule } from '@nestjs/testing';
import { HookRunner } from '@tarn/core/ingest/hook-runner.js';
import { HookService } from '@tarn/core/ingest/hook.service.js';
import { IngestModule } from '@tarn/core/ingest/ingest.module.js';
import { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';
import { ReplicasModule } from '@tarn/core/replicas/replicas.module.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';

export const posixProtocol = (root: string) => ({
  scheme: 'file',
  hostname: 'localhost',
  prefix: root,
  impl: 'rucio.rse.protocols.posix.Default',
  domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } },
});

/** A test database with the ingest services, root and a user with a scope, a non-deterministic and a deterministic posix RSE. */
export interface IngestContext {
  db: TestDatabase;
  moduleRef: TestingModule;
  hooks: HookService;
  runner: HookRunner;
  registrar: ReplicaRegistrarService;
  rules: RuleService;
  dids: DidService;
  root: CreatedAccount;
  user: CreatedAccount;
  scope: string;
  /** Non-deterministic posix RSE (zero-copy source). */
  disk: CreatedRse & { dir: string };
  /** Deterministic posix RSE (drop-box target). */
  store: CreatedRse & { dir: string };
  close(): Promise<void>;
}

export async function ingestContext(): Promise<IngestContext> {
  const db = await createTestDatabase();
  const moduleRef = await createTestingModule(db, [IngestModule, ReplicasModule]);
  const root = await createAccount(db.dataSource, { account: 'root', admin: true });
  const user = await createAccount(db.dataSource, { account: 'jdoe' });
  const { scope } = await createScope(db.dataSource, { scope: 'user.jdoe', account: user.account });
  const diskDir = await createTestDirectory();
  const storeDir = await createTestDirectory();
  const disk = await createRse(db.dataSource, { rse: 'TELESCOPE_DISK', deterministic: false, attributes: { QOS: 'FAST', allow_user_paths: true }, protocols: [posixProtocol(diskDir.root)] });
  const store = await createRse(db.dataSource, { rse: 'ARCHIVE', attributes: { QOS: 'SAFE' }, protocols: [posixProtocol(storeDir.root)] });
  return {
    db,
    moduleRef,
    hooks: moduleRef.get(HookService),
    runner: moduleRef.get(HookRunner),
    registrar: moduleRef.get(ReplicaRegistrarService),
    rules: moduleRef.get(RuleService),
    dids: moduleRef.get(DidService),
    root,
    user,
    scope,
    disk: { ...disk, dir: diskDir.root },
    store: { ...store, dir: storeDir.root },
    close: async () => {
      await moduleRef.close();
      await db.drop();
      await diskDir.drop();
      await storeDir.drop();
    },
  };
}

/** Writes small files under `root` (content depends on the path), with a fixed mtime. */
export async function writeFiles(root: string, paths: string[], mtime = new Date('2026-11-21T22:00:00Z')): Promise<void> {
  for (const path of paths) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, `data of ${path}\n`);
    await utimes(full, mtime, mtime);
  }
}

/** Verifies every announced replica (the replica-registrar's passes) until none is due. */
export async function verifyAll(registrar: ReplicaRegistrarService): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await registrar.verifyDue({ batchSize: 1000, concurrency: 8 });
    total += result.available;
    if (result.checked === 0) return total;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
