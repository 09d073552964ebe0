import { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { InvalidInput, TarnError } from '@tarn/domain';
import { ROOT_ISSUER } from '@tarn/core/auth/issuer.js';
import { RsesModule } from '@tarn/core/rses/rses.module.js';
import { RseService } from '@tarn/core/rses/rse.service.js';
import { RseSpaceService } from '@tarn/core/rses/rse-space.service.js';
import { ResolvedRse, RseExpressionService } from '@tarn/core/rses/rse-expression.service.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createRse } from '@tarn/testing/factories/rse.factory.js';

const ADMIN = ROOT_ISSUER;

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

/** Polls until `check` passes or `ms` elapse; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

describe('RSE expressions against the catalogue', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let expressions: RseExpressionService;
  let rses: RseService;
  let space: RseSpaceService;
  const names = async (expression: string, options?: { allowEmpty?: boolean }): Promise<string[]> =>
    (await expressions.resolve(db.dataSource.manager, expression, options)).map((rse) => rse.name);

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [RsesModule]);
    expressions = moduleRef.get(RseExpressionService);
    rses = moduleRef.get(RseService);
    space = moduleRef.get(RseSpaceService);
    await createRse(db.dataSource, {
      rse: 'SITE_A',
      qosClass: 'SAFE',
      attributes: { QOS: 'SAFE', tier: 1, country: 'DE', freespace: 500 },
      limits: { MinFreeSpace: 100, MaxBytes: 10_000 },
      usage: [{ source: 'rucio', used: 4_000, files: 4 }, { source: 'storage', used: 4_100, free: 7_000 }],
    });
    await createRse(db.dataSource, {
      rse: 'SITE_B',
      attributes: { QOS: 'SAFE', tier: '1', country: 'FR', freespace: '50' },
      limits: { MaxBytes: 1_000 },
      usage: [{ source: 'rucio', used: 1_500 }],
    });
    await createRse(db.dataSource, { rse: 'SITE_C', qosClass: 'FAST', attributes: { QOS: 'FAST', tier: 2, country: 'DE', freespace: 1000 } });
    await createRse(db.dataSource, { rse: 'TAPE_D', rseType: 'TAPE', availabilityWrite: false, attributes: { tier: 1, country: 'DE' } });
    await createRse(db.dataSource, { rse: 'GONE_E', attributes: { QOS: 'SAFE', tier: 1, country: 'DE' } });
    await rses.deleteRse(ADMIN, 'GONE_E');
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  it('selects by attribute, ignoring deleted RSEs', async () => {
    expect(await names('QOS=SAFE')).toEqual(['SITE_A', 'SITE_B']);
    expect(await names('tier=1&country=DE')).toEqual(['SITE_A', 'TAPE_D']);
    expect(await names('SITE_A')).toEqual(['SITE_A']);
  });

  it('selects by RSE columns before attributes', async () => {
    expect(await names('rse_type=TAPE')).toEqual(['TAPE_D']);
    expect(await names('qos_class=FAST')).toEqual(['SITE_C']);
    expect(await names('availability_write=false')).toEqual(['TAPE_D']);
  });

  it('evaluates *, difference and union strictly left to right', async () => {
    expect(await names('*\\SITE_A')).toEqual(['SITE_B', 'SITE_C', 'TAPE_D']);
    // (SITE_A|SITE_B)\country=DE, not SITE_A|(SITE_B\country=DE)
    expect(await names('SITE_A|SITE_B\\country=DE')).toEqual(['SITE_B']);
    expect(await names('SITE_A|(SITE_B\\country=DE)')).toEqual(['SITE_A', 'SITE_B']);
    expect(await names('SITE_C\\country=DE|SITE_B')).toEqual(['SITE_B']);
  });

  it('compares numeric attributes, strings holding numbers too', async () => {
    expect(await names('freespace>100')).toEqual(['SITE_A', 'SITE_C']);
    expect(await names('freespace<100')).toEqual(['SITE_B']);
    expect(await names('tier<2&freespace>10')).toEqual(['SITE_A', 'SITE_B']);
  });

  it('says which token is wrong', async () => {
    const unknown = await rejection(names('QOS=SAFE&nosuchkey=1'));
    expect(unknown).toBeInstanceOf(InvalidInput);
    expect(unknown.rucioClass).toBe('InvalidRSEExpression');
    expect(unknown.message).toContain("'nosuchkey' is not an attribute of any RSE");
    const unknownRse = await rejection(names('SITE_A|SITE_Z'));
    expect(unknownRse.message).toContain("'SITE_Z' is neither an RSE nor an RSE attribute");
    // A deleted RSE is unknown too.
    expect((await rejection(names('GONE_E'))).message).toContain("'GONE_E' is neither an RSE");
    const syntax = await rejection(names('SITE_A|'));
    expect(syntax.rucioClass).toBe('InvalidRSEExpression');
    expect(syntax.message).toContain("operator '|' has no right operand");
    expect((await rejection(names('(SITE_A'))).message).toContain("'(' is never closed");
  });

  it('refuses an expression that selects nothing, naming it, unless allowEmpty', async () => {
    const error = await rejection(names('country=DE&QOS=FAST&tier=1'));
    expect(error.rucioClass).toBe('InvalidRSEExpression');
    expect(error.message).toContain("RSE expression 'country=DE&QOS=FAST&tier=1' selects no RSE");
    expect(await names('country=DE&QOS=FAST&tier=1', { allowEmpty: true })).toEqual([]);
    // The cached empty selection still raises for callers that do not allow it.
    await expect(names('country=DE&QOS=FAST&tier=1')).rejects.toThrow(/selects no RSE/);
  });

  it('returns each RSE with its limits, catalogue usage and free space', async () => {
    const byName = new Map((await expressions.resolve(db.dataSource.manager, '*')).map((rse) => [rse.name, rse]));
    const a = byName.get('SITE_A')!;
    expect(a).toEqual<ResolvedRse>({
      id: expect.any(String),
      name: 'SITE_A',
      rseType: 'DISK' as ResolvedRse['rseType'],
      deterministic: true,
      volatile: false,
      qosClass: 'SAFE',
      availabilityRead: true,
      availabilityWrite: true,
      availabilityDelete: true,
      attributes: { QOS: 'SAFE', tier: 1, country: 'DE', freespace: 500 },
      qosPolicies: [],
      limits: { MinFreeSpace: 100, MaxBytes: 10_000 },
      usedBytes: 4_000,
      freeBytes: 7_000, // storage-reported free wins over MaxBytes - used; MinFreeSpace not subtracted
    });
    expect(byName.get('SITE_B')).toMatchObject({ usedBytes: 1_500, freeBytes: 0 }); // MaxBytes 1000 - used 1500, never below 0
    expect(byName.get('SITE_C')).toMatchObject({ usedBytes: 0, freeBytes: null, limits: {} });
    // Callers get copies: changing one does not change the cache.
    a.freeBytes = -1;
    expect((await expressions.resolve(db.dataSource.manager, 'SITE_A'))[0].freeBytes).toBe(7_000);
  });

  it('serves evaluations from the cache, and flushes it at once when this process changes an RSE', async () => {
    // A cache fresh for the whole test, however slow the machine, and no NOTIFY of an earlier test still on its way.
    expressions.ttlMs = 600_000;
    await announcementsDelivered(expressions);
    expect(await names('tier=2')).toEqual(['SITE_C']);
    // A change behind the services' back (no NOTIFY) is not seen while the cache is fresh...
    await db.dataSource.query(`UPDATE rse_attributes SET value = '2'::jsonb WHERE key = 'tier' AND rse_id = (SELECT id FROM rses WHERE rse = 'TAPE_D')`);
    expect(await names('tier=2')).toEqual(['SITE_C']);
    // ...but a change through a service is seen by the very next resolve.
    await rses.setAttribute(ADMIN, 'SITE_B', 'tier', 2);
    expect(await names('tier=2')).toEqual(['SITE_B', 'SITE_C', 'TAPE_D']);
    await space.setUsage(ADMIN, 'SITE_C', { source: 'storage', used: 0, free: 123 });
    expect((await expressions.resolve(db.dataSource.manager, 'SITE_C'))[0].freeBytes).toBe(123);
    await space.setLimit(ADMIN, 'SITE_C', 'MinFreeSpace', 7);
    expect((await expressions.resolve(db.dataSource.manager, 'SITE_C'))[0].limits).toEqual({ MinFreeSpace: 7 });
    await rses.updateRse(ADMIN, 'SITE_C', { availabilityWrite: false });
    expect(await names('availability_write=false')).toEqual(['SITE_C', 'TAPE_D']);
    await createRse(db.dataSource, { rse: 'SITE_F', attributes: { tier: 2 } });
    expect(await names('tier=2')).toEqual(['SITE_B', 'SITE_C', 'SITE_F', 'TAPE_D']);
  });

  it('announces changes with NOTIFY tarn_rse_changed in the changing transaction', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (message) => heard.push(message.channel));
      await listener.query('LISTEN tarn_rse_changed');
      await rses.setAttribute(ADMIN, 'SITE_C', 'note', 'x');
      await within(1_000, async () => heard.length > 0);
      expect(heard).toContain('tarn_rse_changed');

      // Nothing is announced for a change that did not happen.
      heard.length = 0;
      await expect(rses.setAttribute(ADMIN, 'NOWHERE', 'note', 'x')).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });

  it('flushes the caches of other instances within a second of a NOTIFY from another process', async () => {
    const other = new RseExpressionService(db.dataSource);
    try {
      const otherNames = async (expression: string) => (await other.resolve(db.dataSource.manager, expression)).map((rse) => rse.name);
      expect(await other.listening()).toBe(true);
      expect(await expressions.listening()).toBe(true);
      expect(await otherNames('country=FR')).toEqual(['SITE_B']);
      expect(await names('country=FR')).toEqual(['SITE_B']);

      // Another process changes an attribute: it commits, and NOTIFY reaches both instances.
      const elsewhere = new Client({ connectionString: db.url });
      await elsewhere.connect();
      try {
        await elsewhere.query('BEGIN');
        await elsewhere.query(`UPDATE rse_attributes SET value = '"FR"'::jsonb WHERE key = 'country' AND rse_id = (SELECT id FROM rses WHERE rse = 'SITE_C')`);
        await elsewhere.query(`SELECT pg_notify('tarn_rse_changed', '')`);
        // Not committed yet: both still answer from their caches.
        expect(await otherNames('country=FR')).toEqual(['SITE_B']);
        await elsewhere.query('COMMIT');
      } finally {
        await elsewhere.end();
      }
      const otherTook = await within(1_000, async () => (await otherNames('country=FR')).includes('SITE_C'));
      const thisTook = await within(1_000, async () => (await names('country=FR')).includes('SITE_C'));
      expect(otherTook).toBeLessThan(1_000);
      expect(thisTook).toBeLessThan(1_000);
    } finally {
      await other.onModuleDestroy();
    }
  });

  it('sees changes nobody announced once the TTL has passed', async () => {
    const other = new RseExpressionService(db.dataSource);
    other.ttlMs = 2_000; // long enough that a loaded machine still reads within it
    try {
      const otherNames = async (expression: string) => (await other.resolve(db.dataSource.manager, expression)).map((rse) => rse.name);
      await other.all(db.dataSource.manager); // starts its listener, which drops the cache once connected
      expect(await other.listening()).toBe(true);
      await announcementsDelivered(other);
      expect(await otherNames('country=FR')).toEqual(['SITE_B', 'SITE_C']);
      await db.dataSource.query(`UPDATE rse_attributes SET value = '"FR"'::jsonb WHERE key = 'country' AND rse_id = (SELECT id FROM rses WHERE rse = 'SITE_A')`);
      expect(await otherNames('country=FR')).toEqual(['SITE_B', 'SITE_C']);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      expect(await otherNames('country=FR')).toEqual(['SITE_A', 'SITE_B', 'SITE_C']);
    } finally {
      await other.onModuleDestroy();
    }
  });

  it('closes its LISTEN connection when the module is destroyed', async () => {
    const listeners = async (): Promise<number> =>
      Number((await db.dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'tarn-rse-listener'`, [db.name]))[0].n);
    const other = new RseExpressionService(db.dataSource);
    const before = await listeners();
    expect(await other.listening()).toBe(true);
    expect(await listeners()).toBe(before + 1);
    await other.onModuleDestroy();
    await within(1_000, async () => (await listeners()) === before);
  });
});

/**
 * Resolves once `service` heard a NOTIFY sent now (told apart from earlier ones by its payload): announcements
 * committed before it (by earlier tests) have then been delivered too, so none can drop the cache in the middle of
 * a test. Our handler is added after the service's on the same connection, so the service has handled it first.
 */
async function announcementsDelivered(service: RseExpressionService): Promise<void> {
  expect(await service.listening()).toBe(true);
  const internals = service as unknown as { listener: { client: Client }; dataSource: { query(sql: string, params: unknown[]): Promise<unknown> } };
  const client = internals.listener.client;
  const token = randomUUID();
  const heard = new Promise<void>((resolve) => {
    const onNotification = (message: { payload?: string }) => {
      if (message.payload !== token) return;
      client.off('notification', onNotification);
      resolve();
    };
    client.on('notification', onNotification);
  });
  await internals.dataSource.query(`SELECT pg_notify('tarn_rse_changed', $1)`, [token]);
  await heard;
}
