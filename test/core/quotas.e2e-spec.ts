import { TestingModule } from '@nestjs/testing';
import { Forbidden, TarnError } from '@tarn/domain';
import { ROOT_ISSUER } from '@tarn/core/auth/issuer.js';
import { RsesModule } from '@tarn/core/rses/rses.module.js';
import { RseService } from '@tarn/core/rses/rse.service.js';
import { AccountLimitService } from '@tarn/core/rses/account-limit.service.js';
import { QuotaService } from '@tarn/core/rses/quota.service.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse, CreatedRse } from '@tarn/testing/factories/rse.factory.js';

const ADMIN = ROOT_ISSUER;
const JDOE = { account: 'jdoe', admin: false };

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('account limits and quotas', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let limits: AccountLimitService;
  let quotas: QuotaService;
  let rses: RseService;
  let a: CreatedRse, b: CreatedRse, c: CreatedRse, d: CreatedRse;

  const setUsage = (account: string, rse: CreatedRse, bytes: number, files = 1) =>
    db.dataSource.query(
      `INSERT INTO account_usage (account, rse_id, files, bytes) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account, rse_id) DO UPDATE SET files = EXCLUDED.files, bytes = EXCLUDED.bytes`,
      [account, rse.id, files, bytes],
    );
  const remaining = async (account: string, ...targets: CreatedRse[]) => {
    const quota = await quotas.remainingQuota(db.dataSource.manager, account, targets.map((rse) => rse.id));
    return Object.fromEntries(targets.map((rse) => [rse.rse, quota.get(rse.id)]));
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [RsesModule]);
    limits = moduleRef.get(AccountLimitService);
    quotas = moduleRef.get(QuotaService);
    rses = moduleRef.get(RseService);
    await db.dataSource.query(`INSERT INTO accounts (account, account_type) VALUES ('jdoe', 'USER'), ('alice', 'USER')`);
    a = await createRse(db.dataSource, { rse: 'Q_A', attributes: { tier: 1 } });
    b = await createRse(db.dataSource, { rse: 'Q_B', attributes: { tier: 1 } });
    c = await createRse(db.dataSource, { rse: 'Q_C', attributes: { tier: 2, pool: 'x' } });
    d = await createRse(db.dataSource, { rse: 'Q_D' });
    await setUsage('jdoe', a, 300, 3);
    await setUsage('jdoe', b, 200, 2);
    await setUsage('jdoe', c, 50, 1);
    await setUsage('alice', a, 5_000, 5);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it('leaves an account without limits unlimited everywhere', async () => {
    expect(await remaining('jdoe', a, b, c, d)).toEqual({ Q_A: Infinity, Q_B: Infinity, Q_C: Infinity, Q_D: Infinity });
    expect((await quotas.remainingQuota(db.dataSource.manager, 'jdoe', [])).size).toBe(0);
  });

  it('sets, reads and deletes per-RSE limits (administrators only)', async () => {
    await limits.setRseLimit(ADMIN, 'jdoe', 'Q_A', 1_000);
    await limits.setRseLimit(ADMIN, 'jdoe', 'Q_D', -1);
    expect(await limits.getRseLimits(JDOE, 'jdoe')).toEqual({ Q_A: 1_000, Q_D: Infinity });
    expect(await limits.getRseLimits(JDOE, 'jdoe', 'Q_A')).toEqual({ Q_A: 1_000 });
    expect(await limits.getRseLimits(JDOE, 'jdoe', 'Q_B')).toEqual({});

    expect(await rejection(limits.setRseLimit(JDOE, 'jdoe', 'Q_A', 10 ** 12))).toBeInstanceOf(Forbidden);
    await expect(limits.setRseLimit(ADMIN, 'nobody', 'Q_A', 1)).rejects.toMatchObject({ rucioClass: 'AccountNotFound' });
    await expect(limits.setRseLimit(ADMIN, 'jdoe', 'Q_Z', 1)).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
    await expect(limits.setRseLimit(ADMIN, 'jdoe', 'Q_A', -2)).rejects.toThrow(/-1 for unlimited/);

    await limits.setRseLimit(ADMIN, 'jdoe', 'Q_B', 100);
    expect(await limits.deleteRseLimit(ADMIN, 'jdoe', 'Q_B')).toBe(true);
    expect(await limits.deleteRseLimit(ADMIN, 'jdoe', 'Q_B')).toBe(false);
  });

  it('takes the per-RSE limit minus the usage there, never below 0', async () => {
    expect(await remaining('jdoe', a, b, d)).toEqual({ Q_A: 700, Q_B: Infinity, Q_D: Infinity });
    await limits.setRseLimit(ADMIN, 'jdoe', 'Q_C', 20);
    expect(await remaining('jdoe', c)).toEqual({ Q_C: 0 });
    await limits.deleteRseLimit(ADMIN, 'jdoe', 'Q_C');
    // Limits are per account.
    expect(await remaining('alice', a)).toEqual({ Q_A: Infinity });
  });

  it('sets expression limits on expressions that select RSEs', async () => {
    await limits.setExpressionLimit(ADMIN, 'jdoe', 'tier=1', 800);
    expect(await limits.getExpressionLimits(JDOE, 'jdoe')).toEqual({
      'tier=1': { rseExpression: 'tier=1', limit: 800, resolvedRses: ['Q_A', 'Q_B'], resolvedRseIds: [a.id, b.id] },
    });
    await expect(limits.setExpressionLimit(ADMIN, 'jdoe', 'tier=1&', 1)).rejects.toMatchObject({ rucioClass: 'InvalidRSEExpression' });
    await expect(limits.setExpressionLimit(ADMIN, 'jdoe', 'tier=9', 1)).rejects.toThrow(/selects no RSE/);
    await expect(limits.setExpressionLimit(JDOE, 'jdoe', 'tier=1', 1)).rejects.toBeInstanceOf(Forbidden);
  });

  it('takes the minimum of the per-RSE limit and every expression limit covering the RSE', async () => {
    // tier=1 covers Q_A and Q_B: 800 - (300 + 200) = 300 left for both; Q_A's own limit leaves 700.
    expect(await remaining('jdoe', a, b, c, d)).toEqual({ Q_A: 300, Q_B: 300, Q_C: Infinity, Q_D: Infinity });
    // A second expression covering Q_B and Q_C: 600 - (200 + 50) = 350, not smaller than 300 on Q_B.
    await limits.setExpressionLimit(ADMIN, 'jdoe', 'Q_B|pool=x', 600);
    expect(await remaining('jdoe', a, b, c)).toEqual({ Q_A: 300, Q_B: 300, Q_C: 350 });
    // Usage on an RSE outside the asked ones still counts for the expression it belongs to.
    await setUsage('jdoe', a, 550, 3);
    expect(await remaining('jdoe', b)).toEqual({ Q_B: 50 });
    expect(await remaining('jdoe', a)).toEqual({ Q_A: 50 });
    await limits.setExpressionLimit(ADMIN, 'jdoe', 'Q_C', 40);
    expect(await remaining('jdoe', c)).toEqual({ Q_C: 0 });
    await limits.setExpressionLimit(ADMIN, 'jdoe', 'Q_C', -1);
    expect(await remaining('jdoe', c)).toEqual({ Q_C: 350 });
  });

  it('follows changes of what an expression selects, and ignores expressions that no longer resolve', async () => {
    await rses.setAttribute(ADMIN, 'Q_D', 'tier', 1);
    // Q_D joins tier=1: 800 - (550 + 200 + 0) = 50.
    expect(await remaining('jdoe', d)).toEqual({ Q_D: 50 });
    await rses.deleteAttribute(ADMIN, 'Q_C', 'pool');
    await rses.deleteAttribute(ADMIN, 'Q_D', 'tier');
    // 'Q_B|pool=x' names an attribute no RSE has any more: it applies nowhere (as in Rucio).
    expect(await remaining('jdoe', b, c, d)).toEqual({ Q_B: 50, Q_C: Infinity, Q_D: Infinity });
    expect((await limits.getExpressionLimits(ADMIN, 'jdoe'))['Q_B|pool=x']).toMatchObject({ limit: 600, resolvedRses: [] });
    expect(await limits.deleteExpressionLimit(ADMIN, 'jdoe', 'Q_B|pool=x')).toBe(true);
    expect(await limits.deleteExpressionLimit(ADMIN, 'jdoe', 'Q_B|pool=x')).toBe(false);
  });

  it('reports usage per RSE and per expression with limits and what remains', async () => {
    // Where no limit is set (Q_B, Q_C) the limit reads 0, as in Rucio; an unlimited one (-1, Q_D) reads Infinity.
    expect(await limits.getRseUsage(JDOE, 'jdoe')).toEqual([
      { rseId: a.id, rse: 'Q_A', files: 3, bytes: 550, bytesLimit: 1_000, bytesRemaining: 450 },
      { rseId: b.id, rse: 'Q_B', files: 2, bytes: 200, bytesLimit: 0, bytesRemaining: -200 },
      { rseId: c.id, rse: 'Q_C', files: 1, bytes: 50, bytesLimit: 0, bytesRemaining: -50 },
      { rseId: d.id, rse: 'Q_D', files: 0, bytes: 0, bytesLimit: Infinity, bytesRemaining: Infinity },
    ]);
    expect(await limits.getRseUsage(JDOE, 'jdoe', 'Q_B')).toEqual([{ rseId: b.id, rse: 'Q_B', files: 2, bytes: 200, bytesLimit: 0, bytesRemaining: -200 }]);
    expect(await limits.getExpressionUsage(JDOE, 'jdoe')).toEqual([
      { rseExpression: 'Q_C', files: 1, bytes: 50, bytesLimit: Infinity, bytesRemaining: Infinity },
      { rseExpression: 'tier=1', files: 5, bytes: 750, bytesLimit: 800, bytesRemaining: 50 },
    ]);
    await expect(limits.getRseUsage(ADMIN, 'nobody')).rejects.toMatchObject({ rucioClass: 'AccountNotFound' });
    // Another account's usage is its own and the administrators' business, whether or not it exists.
    for (const account of ['alice', 'nobody']) expect(await rejection(limits.getRseUsage(JDOE, account))).toBeInstanceOf(Forbidden);
  });

  it('forgets limits and usage on deleted RSEs', async () => {
    await db.dataSource.query(`DELETE FROM account_usage WHERE rse_id = $1`, [d.id]);
    await rses.deleteRse(ADMIN, 'Q_D');
    expect(await limits.getRseLimits(ADMIN, 'jdoe')).toEqual({ Q_A: 1_000 });
    expect((await limits.getRseUsage(ADMIN, 'jdoe')).map((u) => u.rse)).toEqual(['Q_A', 'Q_B', 'Q_C']);
  });
});
