/**
 * Account usage (account_usage) equals what each account's locks hold per RSE after a random mix of 1,000 rule
 * additions, deletions and expiries run by four concurrent lanes; quotas and the usage the API shows read those
 * figures. Then the reaper removes what the deleted rules left behind, and the RSEs' catalogue usage (rse_usage
 * 'rucio') equals their replica rows.
 */
import { jest } from '@jest/globals';
import { isTarnError } from '@tarn/domain';
import { ReaperService } from '@tarn/core/reaper/reaper.service.js';
import { AccountLimitService } from '@tarn/core/rses/account-limit.service.js';
import { createDataset } from '@tarn/testing/factories/did.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { inconsistencies, ruleDaemonsContext, type RuleDaemonsContext } from '../daemons/support/rule-daemons-fixtures.js';
import { createPosixRse, type PosixRse } from '../reaper/support/reaper-fixtures.js';

jest.setTimeout(240_000);

const OPERATIONS = 1000;
const LANES = 4;
const DATASETS = 24;

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('account usage under a random mix of rule changes', () => {
  let t: RuleDaemonsContext;
  const rses: PosixRse[] = [];

  beforeAll(async () => {
    t = await ruleDaemonsContext();
    for (const name of ['ACC_A', 'ACC_B', 'ACC_C', 'ACC_D']) rses.push(await createPosixRse(t.db.dataSource, { rse: name, attributes: { acc: true, greedyDeletion: true } }));
  });

  afterAll(async () => {
    for (const rse of rses) await rse.drop();
    await t?.close();
  });

  it('equals the sum of each account\'s locks per RSE, exactly', async () => {
    const seed = Number(process.env.TARN_TEST_SEED || Date.now() % 100_000);
    const next = random(seed);
    const datasets: Array<{ scope: string; name: string }> = [];
    for (let i = 0; i < DATASETS; i++) {
      datasets.push(await createDataset(t.db.dataSource, { scope: t.scope, account: t.user.account, name: `acc.${i}`, files: 1 + (i % 5) }));
    }
    const expressions = ['ACC_A', 'ACC_B', 'ACC_C', 'ACC_D', 'acc', 'ACC_A|ACC_B', 'ACC_C|ACC_D'];
    const live: Array<{ id: string; issuer: typeof t.user.issuer }> = [];
    const counts = { added: 0, deleted: 0, expired: 0, refused: 0, unexpired: 0 };

    const operation = async (): Promise<void> => {
      const roll = next();
      if (roll < 0.5 || live.length === 0) {
        const issuer = next() < 0.5 ? t.user.issuer : t.root.issuer;
        const dataset = datasets[Math.floor(next() * datasets.length)];
        const expression = expressions[Math.floor(next() * expressions.length)];
        const copies = expression === 'acc' ? 1 + Math.floor(next() * 3) : 1;
        try {
          const [id] = await t.rules.addRules(issuer, ruleSpec(dataset, expression, { copies, lifetime: next() < 0.4 ? 1 : null }));
          live.push({ id, issuer });
          counts.added++;
        } catch (error) {
          if (!isTarnError(error)) throw error;
          counts.refused++; // DuplicateRule: the same DID, account, expression and copies
        }
        return;
      }
      const [rule] = live.splice(Math.floor(next() * live.length), 1);
      if (roll < 0.75) {
        await t.rules.deleteRule(rule.issuer, rule.id);
        counts.deleted++;
      } else {
        // Expiry as the rule-cleaner does it, "now" being after every lifetime; rules without one stay.
        if (await t.rules.expireRule(rule.id, new Date(Date.now() + 3_600_000))) counts.expired++;
        else {
          live.push(rule);
          counts.unexpired++;
        }
      }
    };

    let done = 0;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        while (done < OPERATIONS) {
          done++;
          await operation();
        }
      }),
    );
    expect(counts.added + counts.deleted + counts.expired + counts.refused + counts.unexpired).toBe(OPERATIONS);
    expect(counts.deleted).toBeGreaterThan(50);
    expect(counts.expired).toBeGreaterThan(20);

    expect({ seed, problems: await inconsistencies(t.db.dataSource) }).toEqual({ seed, problems: [] });
    const locks: Array<{ account: string; rse_id: string; files: string; bytes: string }> = await t.db.dataSource.query(
      `SELECT account, rse_id, count(*) AS files, sum(bytes) AS bytes FROM locks GROUP BY account, rse_id`,
    );
    expect(locks.length).toBeGreaterThan(0);

    // What quotas and the API read: the same figures.
    const limits = t.moduleRef.get(AccountLimitService, { strict: false });
    for (const account of [t.user.account, t.root.account]) {
      const shown = await limits.getRseUsage(t.root.issuer, account);
      const expected = locks.filter((l) => l.account === account);
      for (const rse of rses) {
        const want = expected.find((l) => l.rse_id === rse.id);
        const got = shown.find((u) => u.rse === rse.rse);
        expect({ account, rse: rse.rse, files: got?.files ?? 0, bytes: got?.bytes ?? 0 }).toEqual({
          account, rse: rse.rse, files: Number(want?.files ?? 0), bytes: Number(want?.bytes ?? 0),
        });
      }
    }

    // The reaper takes what no rule holds any more; the catalogue usage of each RSE follows its replica rows.
    const reaper = new ReaperService(t.db.dataSource);
    const settings = { batchSize: 1000, concurrency: 16, graceSeconds: 600, maxBatchesPerRse: 100 };
    const before = Number((await t.db.dataSource.query(`SELECT count(*) AS n FROM replicas WHERE lock_cnt = 0 AND tombstone IS NOT NULL`))[0].n);
    let reaped = 0;
    for (const rse of await reaper.reapableRses(settings)) reaped += (await reaper.reapRse(rse, settings)).deleted;
    expect(reaped).toBe(before);
    const usage = await t.db.dataSource.query(
      `SELECT s.rse, coalesce(u.files, 0)::int AS files, coalesce(u.used, 0)::bigint AS used, r.files::int AS rows, r.bytes::bigint AS bytes
         FROM rses s LEFT JOIN rse_usage u ON u.rse_id = s.id AND u.source = 'rucio'
         JOIN LATERAL (SELECT count(*) AS files, coalesce(sum(bytes), 0) AS bytes FROM replicas WHERE rse_id = s.id) r ON true
        WHERE s.rse LIKE 'ACC_%' ORDER BY s.rse`,
    );
    for (const u of usage) expect({ rse: u.rse, files: u.files, bytes: u.used }).toEqual({ rse: u.rse, files: u.rows, bytes: u.bytes });
  });
});
