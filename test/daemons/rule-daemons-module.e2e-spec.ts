/**
 * Embedded mode: the five rule daemons' Nest modules, imported beside EventsModule (the PostgreSQL bus here: no
 * KAFKA_BROKERS) and the messenger, register with the DaemonRegistry; once the application bootstraps, an attach
 * reaches the locks through a did.attached event (the evaluator's sweep interval is far too long to matter), and
 * shutdown stops every loop.
 */
import { jest } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { DaemonModule, DaemonRegistry } from '@tarn/daemon';
import { EventsModule } from '@tarn/events';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { RuleService } from '@tarn/core/rules/rule.service.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccountWithScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { readLocks, ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { MessengerModule } from '../../apps/messenger/src/messenger.module.js';
import { RuleEvaluatorModule } from '../../apps/rule-evaluator/src/rule-evaluator.module.js';
import { RuleInjectorModule } from '../../apps/rule-injector/src/rule-injector.module.js';
import { RuleRepairerModule } from '../../apps/rule-repairer/src/rule-repairer.module.js';
import { RuleCleanerModule } from '../../apps/rule-cleaner/src/rule-cleaner.module.js';
import { UndertakerModule } from '../../apps/undertaker/src/undertaker.module.js';
import { RuleEvaluatorWorker } from '../../apps/rule-evaluator/src/rule-evaluator.worker.js';
import { sleep } from './support/rule-daemons-fixtures.js';

jest.setTimeout(60_000);

describe('rule daemon modules in a Nest application (embedded mode)', () => {
  let db: TestDatabase;
  let app: TestingModule;
  const saved = { ...process.env };

  beforeAll(async () => {
    process.env.TARN_METRICS_PORT = '0';
    process.env.TARN_RULE_EVALUATOR_INTERVAL_SECONDS = '600';
    db = await createTestDatabase();
    app = await createTestingModule(db, [
      DaemonModule,
      EventsModule,
      MessengerModule,
      DidsModule,
      RuleEvaluatorModule,
      RuleInjectorModule,
      RuleRepairerModule,
      RuleCleanerModule,
      UndertakerModule,
    ]);
  });

  afterAll(async () => {
    process.env = saved;
    await db?.drop();
  });

  it('registers the five daemons, evaluates an attach woken by its event, and stops them all', async () => {
    await app.init();
    const registry = app.get(DaemonRegistry);
    expect(registry.list().map((r) => r.name).sort()).toEqual(['messenger', 'rule-cleaner', 'rule-evaluator', 'rule-injector', 'rule-repairer', 'undertaker']);
    expect(await app.get(RuleEvaluatorWorker).eventWake.ready()).toBe(true);
    await sleep(500);

    const user = await createAccountWithScope(db.dataSource, { account: 'jdoe', scope: 'user.jdoe' });
    await createRse(db.dataSource, { rse: 'EMB_A' });
    const ds = await createDataset(db.dataSource, { scope: user.scope, account: user.account, name: 'embedded' });
    const [ruleId] = await app.get(RuleService).addRules(user.issuer, ruleSpec(ds, 'EMB_A'));
    const files = await createFiles(db.dataSource, { scope: user.scope, account: user.account, count: 20 });
    await app.get(DidService).attach(user.issuer, [{ scope: ds.scope, name: ds.name, dids: files }]);
    const deadline = Date.now() + 15_000;
    while ((await readLocks(db.dataSource, ruleId)).length < 20 && Date.now() < deadline) await sleep(50);
    expect(await readLocks(db.dataSource, ruleId)).toHaveLength(20);

    await app.close();
    expect(registry.list().filter((r) => r.running)).toEqual([]);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM heartbeats`);
    expect(n).toBe(0);
  });
});
