/**
 * Lifetime exceptions as the daemons honour them: while an approved exception lasts, the undertaker keeps its
 * expired DIDs and the rule-cleaner their expired rules (each logged once, naming the exception); a waiting or
 * rejected one keeps nothing, and once it ends both proceed.
 */
import { LifetimeExceptionService } from '@tarn/core';
import { Permissions } from '@tarn/core/auth/permissions.js';
import { TarnError } from '@tarn/domain';
import { createRse } from '@tarn/testing/factories/rse.factory.js';
import { createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { RuleCleanerWorker } from '../../apps/rule-cleaner/src/rule-cleaner.worker.js';
import { UndertakerWorker } from '../../apps/undertaker/src/undertaker.worker.js';
import { ruleDaemonsContext, type RuleDaemonsContext, ruleRow, testRunner, type TestRunner } from './support/rule-daemons-fixtures.js';

const DAY = 86_400_000;

describe('lifetime exceptions', () => {
  let t: RuleDaemonsContext;
  let exceptions: LifetimeExceptionService;
  let undertaker: TestRunner;
  let cleaner: TestRunner;
  let n = 0;

  const dataset = async () =>
    createDataset(t.db.dataSource, {
      scope: t.scope,
      account: t.user.account,
      name: `lx.${++n}`,
      files: await createFiles(t.db.dataSource, { scope: t.scope, account: t.user.account, count: 1, prefix: `lx${n}`, bytes: 10 }),
    });
  const exists = async (name: string) => (await t.db.dataSource.query(`SELECT 1 FROM dids WHERE scope = $1 AND name = $2`, [t.scope, name])).length > 0;
  /** A dataset that expires in an hour, with a rule that expires in an hour. */
  const expiring = async () => {
    const ds = await dataset();
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, 'LX_A', { lifetime: 3600 }));
    await t.db.dataSource.query(`UPDATE dids SET expired_at = now() + interval '1 hour' WHERE scope = $1 AND name = $2`, [t.scope, ds.name]);
    return { ...ds, ruleId };
  };
  const expireNow = (name: string, ruleId: string) =>
    Promise.all([
      t.db.dataSource.query(`UPDATE dids SET expired_at = now() - interval '1 minute' WHERE scope = $1 AND name = $2`, [t.scope, name]),
      t.db.dataSource.query(`UPDATE rules SET expires_at = now() - interval '1 minute' WHERE id = $1`, [ruleId]),
    ]);

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    await createRse(t.db.dataSource, { rse: 'LX_A' });
    exceptions = new LifetimeExceptionService(t.db.dataSource, t.moduleRef.get(Permissions, { strict: false }));
    undertaker = testRunner(t.db.dataSource, new UndertakerWorker(t.expiry, { intervalMs: 60_000, batchSize: 100, passBudgetMs: 10_000 }));
    cleaner = testRunner(t.db.dataSource, new RuleCleanerWorker(t.rules, t.expiry, null, { intervalMs: 60_000, batchSize: 200 }));
  });

  afterAll(async () => {
    await undertaker?.stop();
    await cleaner?.stop();
    await t?.close();
  });

  it('sorts a request: DIDs with a lifetime are excepted, those without are not affected, unknown ones are named', async () => {
    const withLifetime = await expiring();
    const forever = await dataset();
    const result = await exceptions.request(t.user.issuer, {
      dids: [withLifetime, forever, { scope: t.scope, name: 'no-such-dataset' }].map(({ scope, name }) => ({ scope, name })),
      comments: 'needed for the reprocessing campaign',
      expiresAt: new Date(Date.now() + 10 * 365 * DAY),
    });
    const [[id, dids]] = Object.entries(result.exceptions);
    expect(dids).toEqual([{ scope: t.scope, name: withLifetime.name, didType: 'D' }]);
    expect(result.notAffected).toEqual([{ scope: t.scope, name: forever.name, didType: 'D' }]);
    expect(result.unknown).toEqual([{ scope: t.scope, name: 'no-such-dataset' }]);
    // Ten years were asked; an exception reaches at most 365 days unless lifetime_model.max_extension says otherwise.
    expect(Math.abs(result.expiresAt.getTime() - (Date.now() + 365 * DAY))).toBeLessThan(60_000);
    const [row] = await t.db.dataSource.query(`SELECT state, account, comments FROM lifetime_exceptions WHERE id = $1`, [id]);
    expect(row).toEqual({ state: 'W', account: t.user.account, comments: 'needed for the reprocessing campaign' });
  });

  it('keeps the expired DID and its expired rule while an approved exception lasts; a waiting one keeps nothing', async () => {
    const [kept, waiting] = [await expiring(), await expiring()];
    const ask = (ds: { scope: string; name: string }) =>
      exceptions.request(t.user.issuer, { dids: [{ scope: ds.scope, name: ds.name }], comments: 'calibration', expiresAt: new Date(Date.now() + 30 * DAY) });
    const [approvedId] = Object.keys((await ask(kept)).exceptions);
    await ask(waiting);
    const refused = await exceptions.decide(t.user.issuer, approvedId, 'APPROVED').catch((e: TarnError) => e);
    expect((refused as TarnError).rucioClass).toBe('AccessDenied');
    await exceptions.decide(t.root.issuer, approvedId, 'APPROVED');
    await expireNow(kept.name, kept.ruleId);
    await expireNow(waiting.name, waiting.ruleId);

    for (let pass = 0; pass < 2; pass++) {
      await cleaner.runOnce();
      await undertaker.runOnce();
    }
    expect(await exists(kept.name)).toBe(true);
    expect(await ruleRow(t.db.dataSource, kept.ruleId)).toBeDefined();
    expect(await exists(waiting.name)).toBe(false);
    expect(await ruleRow(t.db.dataSource, waiting.ruleId)).toBeUndefined();
    const saidByCleaner = cleaner.logger.lines.filter((l) => l.includes(kept.ruleId));
    expect(saidByCleaner).toHaveLength(1);
    expect(saidByCleaner[0]).toContain(`but lifetime exception ${approvedId} keeps it until`);
    const saidByUndertaker = undertaker.logger.lines.filter((l) => l.includes(kept.name));
    expect(saidByUndertaker).toHaveLength(1);
    expect(saidByUndertaker[0]).toContain(`lifetime exception ${approvedId} keeps it until`);

    // The exception ends: the rule and then the DID go.
    await t.db.dataSource.query(`UPDATE lifetime_exceptions SET expires_at = now() - interval '1 second' WHERE id = $1`, [approvedId]);
    await cleaner.runOnce();
    await undertaker.runOnce();
    expect(await ruleRow(t.db.dataSource, kept.ruleId)).toBeUndefined();
    expect(await exists(kept.name)).toBe(false);
  });

  it('a rejected exception keeps nothing; an unknown exception or state is refused', async () => {
    const ds = await expiring();
    const [id] = Object.keys((await exceptions.request(t.user.issuer, { dids: [{ scope: ds.scope, name: ds.name }], comments: 'maybe' })).exceptions);
    await exceptions.decide(t.root.issuer, id, 'R');
    await expireNow(ds.name, ds.ruleId);
    await cleaner.runOnce();
    await undertaker.runOnce();
    expect(await exists(ds.name)).toBe(false);
    const refusals = await Promise.all([
      exceptions.decide(t.root.issuer, '0123456789abcdef0123456789abcdef', 'APPROVED').catch((e: TarnError) => e.rucioClass),
      exceptions.decide(t.root.issuer, id, 'WAITING').catch((e: TarnError) => e.rucioClass),
      exceptions.request(t.user.issuer, { dids: [{ scope: ds.scope, name: ds.name }], comments: ' ' }).catch((e: TarnError) => e.rucioClass),
    ]);
    expect(refusals).toEqual(['LifetimeExceptionNotFound', 'UnsupportedOperation', 'InputValidationError']);
  });

  it('follows the lifetime_model settings: max_extension caps the end, a past cutoff_date closes requests', async () => {
    const ds = await expiring();
    const did = [{ scope: ds.scope, name: ds.name }];
    await t.db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('lifetime_model', 'max_extension', '10')`);
    const capped = await exceptions.request(t.user.issuer, { dids: did, comments: 'short', expiresAt: new Date(Date.now() + 100 * DAY) });
    expect(Math.abs(capped.expiresAt.getTime() - (Date.now() + 10 * DAY))).toBeLessThan(60_000);
    // A cutoff date: only lifetimes that end before it may be excepted.
    await t.db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('lifetime_model', 'cutoff_date', to_char(now() + interval '2 days', 'YYYY-MM-DD'))`);
    const late = await dataset();
    await t.db.dataSource.query(`UPDATE dids SET expired_at = now() + interval '30 days' WHERE scope = $1 AND name = $2`, [t.scope, late.name]);
    const sorted = await exceptions.request(t.user.issuer, { dids: [...did, { scope: late.scope, name: late.name }], comments: 'cutoff' });
    expect(Object.values(sorted.exceptions).flat().map((d) => d.name)).toEqual([ds.name]);
    expect(sorted.notAffected.map((d) => d.name)).toEqual([late.name]);
    await t.db.dataSource.query(`UPDATE configs SET value = '2000-01-01' WHERE section = 'lifetime_model' AND opt = 'cutoff_date'`);
    const closed = await exceptions.request(t.user.issuer, { dids: did, comments: 'too late' }).catch((e: TarnError) => e);
    expect((closed as TarnError).rucioClass).toBe('UnsupportedOperation');
    expect((closed as TarnError).message).toContain('2000-01-01');
    await t.db.dataSource.query(`DELETE FROM configs WHERE section = 'lifetime_model'`);
  });
});
