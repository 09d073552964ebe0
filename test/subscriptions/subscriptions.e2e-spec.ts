import { TestingModule } from '@nestjs/testing';
import { Duplicate, InvalidInput } from '@tarn/domain';
import { DidService } from '@tarn/core/dids/did.service.js';
import { SubscriptionProcessor } from '@tarn/core/subscriptions/subscription-processor.js';
import { SubscriptionService } from '@tarn/core/subscriptions/subscription.service.js';
import { SubscriptionsModule } from '@tarn/core/subscriptions/subscriptions.module.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccount, type CreatedAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';

describe('subscriptions', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let subscriptions: SubscriptionService;
  let processor: SubscriptionProcessor;
  let dids: DidService;
  let user: CreatedAccount;
  let scope: string;

  const rulesOn = async (name: string) =>
    db.dataSource.query(`SELECT rse_expression, copies, account, subscription_id FROM rules WHERE scope = $1 AND name = $2`, [scope, name]);

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [SubscriptionsModule]);
    subscriptions = moduleRef.get(SubscriptionService);
    processor = moduleRef.get(SubscriptionProcessor);
    dids = moduleRef.get(DidService);
    await createAccount(db.dataSource, { account: 'root', admin: true });
    user = await createAccount(db.dataSource, { account: 'jdoe' });
    ({ scope } = await createScope(db.dataSource, { scope: 'data26', account: user.account }));
    await createRse(db.dataSource, { rse: 'SAFE_1', attributes: { QOS: 'SAFE' } });
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it('validates the filter and the rule templates', async () => {
    await expect(subscriptions.addSubscription(user.issuer, 'jdoe', 'none', { filter: { scope: [scope] }, replication_rules: [] })).rejects.toBeInstanceOf(InvalidInput);
    await expect(
      subscriptions.addSubscription(user.issuer, 'jdoe', 'bad-expr', { filter: { scope: [scope] }, replication_rules: [{ copies: 1, rse_expression: 'QOS=NOPE' }] }),
    ).rejects.toThrow(/QOS=NOPE/);
  });

  it('gives every new matching DID the rules once; non-matching and older DIDs get none', async () => {
    await dids.addDids(user.issuer, [{ scope, name: 'old.raw', type: 'DATASET', meta: { datatype: 'RAW' } }]);
    await db.dataSource.query(`UPDATE dids SET created_at = now() - interval '1 day' WHERE scope = $1 AND name = 'old.raw'`, [scope]);
    const id = await subscriptions.addSubscription(user.issuer, 'jdoe', 'raw-to-safe', {
      filter: { scope: [scope], datatype: ['RAW'], did_type: 'DATASET' },
      replication_rules: [{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 86400 }],
      comments: 'raw data to safe storage',
    });
    await expect(
      subscriptions.addSubscription(user.issuer, 'jdoe', 'raw-to-safe', { filter: {}, replication_rules: [{ copies: 1, rse_expression: 'QOS=SAFE' }] }),
    ).rejects.toBeInstanceOf(Duplicate);
    await dids.addDids(user.issuer, [
      { scope, name: 'run1.raw', type: 'DATASET', meta: { datatype: 'RAW' } },
      { scope, name: 'run1.aod', type: 'DATASET', meta: { datatype: 'AOD' } },
      { scope, name: 'run1.raw.file', type: 'FILE', bytes: 1, meta: { datatype: 'RAW' } },
    ]);
    const pass = await processor.runPass();
    expect(pass).toMatchObject({ didsMatched: 1, rulesCreated: 1, errors: [] });
    expect(await rulesOn('run1.raw')).toEqual([{ rse_expression: 'QOS=SAFE', copies: 1, account: 'jdoe', subscription_id: id }]);
    expect(await rulesOn('run1.aod')).toEqual([]);
    expect(await rulesOn('old.raw')).toEqual([]);
    expect(await rulesOn('run1.raw.file')).toEqual([]);

    // Idempotent: a second pass (the DID is still inside the overlap window) makes nothing new.
    expect(await processor.runPass()).toMatchObject({ didsMatched: 0, rulesCreated: 0 });
    expect(await subscriptions.listRuleIds(user.issuer, 'jdoe', 'raw-to-safe')).toHaveLength(1);
    const [view] = await subscriptions.listSubscriptions(user.issuer, { account: 'jdoe', name: 'raw-to-safe' });
    expect(view.lastProcessed).not.toBeNull();
  });

  it('applies a retroactive subscription to DIDs that existed before it; INACTIVE ones do nothing', async () => {
    await subscriptions.addSubscription(user.issuer, 'jdoe', 'all-raw', {
      filter: { scope: [scope], datatype: 'RAW' },
      replication_rules: [{ copies: 1, rse_expression: 'SAFE_1' }],
      retroactive: true,
    });
    await subscriptions.updateSubscription(user.issuer, 'jdoe', 'raw-to-safe', { state: 'INACTIVE' });
    await dids.addDids(user.issuer, [{ scope, name: 'run2.raw', type: 'DATASET', meta: { datatype: 'RAW' } }]);
    const pass = await processor.runPass();
    expect(pass).toMatchObject({ subscriptions: 1, didsMatched: 3, rulesCreated: 3 });
    expect((await rulesOn('old.raw')).map((r: { rse_expression: string }) => r.rse_expression)).toEqual(['SAFE_1']);
    expect((await rulesOn('run2.raw')).map((r: { rse_expression: string }) => r.rse_expression)).toEqual(['SAFE_1']);
    expect((await rulesOn('run1.raw')).map((r: { rse_expression: string }) => r.rse_expression).sort()).toEqual(['QOS=SAFE', 'SAFE_1']);
  });
});
