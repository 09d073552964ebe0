import type { TestingModule } from '@nestjs/testing';
import { DidType, Forbidden, InvalidInput, TarnError } from '@tarn/domain';
import { didSearchSql } from '@tarn/catalogue/repositories/did-meta.repository.js';
import type { Issuer } from '@tarn/core/auth/issuer.js';
import { parseDidFilters } from '@tarn/core/dids/did-filter.js';
import { DidMetadataService } from '@tarn/core/dids/did-metadata.service.js';
import { DidService } from '@tarn/core/dids/did.service.js';
import { DidsModule } from '@tarn/core/dids/dids.module.js';
import type { DidSearchOptions } from '@tarn/core/dids/did.types.js';
import { collectRows } from '@tarn/core/dids/row-stream.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';
import { createAccountWithScope } from '@tarn/testing/factories/scope.factory.js';
import { createContainer, createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';

async function failure(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TarnError);
    return error as TarnError;
  }
  throw new Error('expected the call to fail');
}

describe('DID metadata', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let metadata: DidMetadataService;
  let dids: DidService;
  let alice: Issuer & { scope: string };
  let bob: Issuer & { scope: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [DidsModule]);
    metadata = moduleRef.get(DidMetadataService);
    dids = moduleRef.get(DidService);
    const a = await createAccountWithScope(db.dataSource, { account: 'alice', scope: 'meta.alice' });
    const b = await createAccountWithScope(db.dataSource, { account: 'bob', scope: 'meta.bob', restricted: true });
    alice = { ...a.issuer, scope: a.scope };
    bob = { ...b.issuer, scope: b.scope };
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('keys', () => {
    it('are set one or many at a time (merged), read and deleted', async () => {
      const ds = await createDataset(db.dataSource, { scope: alice.scope, account: 'alice' });
      await metadata.setMetadata(alice, ds.scope, ds.name, 'run_number', 4711);
      await metadata.setMetadataBulk(alice, ds.scope, ds.name, { stream: 'physics', quality: { good: true }, run_number: 4712 });
      expect(await metadata.getMetadata(alice, ds.scope, ds.name)).toEqual({ run_number: 4712, stream: 'physics', quality: { good: true } });

      await metadata.deleteMetadata(alice, ds.scope, ds.name, 'stream');
      expect(await metadata.getMetadata(bob, ds.scope, ds.name)).toEqual({ run_number: 4712, quality: { good: true } });
      const missing = await failure(metadata.deleteMetadata(alice, ds.scope, ds.name, 'stream'));
      expect(missing.rucioClass).toBe('KeyNotFound');
      expect(missing.message).toContain(`has no metadata key 'stream'`);
    });

    it('are set on many DIDs in one call, and `lifetime` sets the expiry as in Rucio', async () => {
      const [f1, f2] = await createFiles(db.dataSource, { scope: alice.scope, account: 'alice', count: 2 });
      await metadata.setDidsMetadata(alice, [
        { scope: f1.scope, name: f1.name, meta: { detector: 'A', lifetime: 600 } },
        { scope: f2.scope, name: f2.name, meta: { detector: 'B' } },
      ]);
      expect(await metadata.getMetadata(alice, f1.scope, f1.name)).toEqual({ detector: 'A' });
      expect(await metadata.getMetadata(alice, f2.scope, f2.name)).toEqual({ detector: 'B' });
      const expiry = (await dids.get(alice, f1.scope, f1.name)).expiredAt!;
      expect(expiry.getTime()).toBeGreaterThan(Date.now() + 590_000);
      await metadata.setMetadata(alice, f1.scope, f1.name, 'lifetime', null);
      expect((await dids.get(alice, f1.scope, f1.name)).expiredAt).toBeNull();
    });

    it('refuse keys that could not be searched or that name DID properties, writes elsewhere, unknown DIDs', async () => {
      const [f] = await createFiles(db.dataSource, { scope: alice.scope, account: 'alice' });
      for (const key of ['run.number', 'bytes', 'name', 'type', '']) {
        const error = await failure(metadata.setMetadata(alice, f.scope, f.name, key, 1));
        expect(error).toBeInstanceOf(InvalidInput);
        expect(error.rucioClass).toBe('InvalidMetadata');
      }
      expect(await failure(metadata.setMetadata(bob, f.scope, f.name, 'k', 1))).toBeInstanceOf(Forbidden);
      expect((await failure(metadata.setMetadata(alice, f.scope, 'nope', 'k', 1))).rucioClass).toBe('DataIdentifierNotFound');
      expect((await failure(metadata.getMetadata(alice, f.scope, 'nope'))).rucioClass).toBe('DataIdentifierNotFound');

      const [secret] = await createFiles(db.dataSource, { scope: bob.scope, account: 'bob' });
      await metadata.setMetadata(bob, secret.scope, secret.name, 'k', 1);
      expect((await failure(metadata.getMetadata(alice, secret.scope, secret.name))).rucioClass).toBe('AccessDenied');
    });
  });

  describe('search', () => {
    const scope = 'search.alice';
    const search = async (options: DidSearchOptions, issuer: Issuer = alice) =>
      (await collectRows(await metadata.search(issuer, scope, { ...options, batchSize: 2 }))).map((r) => r.name);

    beforeAll(async () => {
      await db.dataSource.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'alice')`, [scope]);
      const ds = (name: string, files = 0) => createDataset(db.dataSource, { scope, account: 'alice', name, files, bytes: 100 });
      await ds('run1', 2);
      await ds('run2');
      await ds('run3');
      await ds('nometa');
      await createContainer(db.dataSource, { scope, account: 'alice', name: 'cnt' });
      await createFiles(db.dataSource, { scope, account: 'alice', prefix: 'raw' });
      await metadata.setDidsMetadata(alice, [
        { scope, name: 'run1', meta: { run_number: 1, stream: 'physics_Main', energy: 6.5, calibrated: true, taken_at: '2024-01-10T00:00:00Z' } },
        { scope, name: 'run2', meta: { run_number: 2, stream: 'physics_Muons', energy: 13, calibrated: false, taken_at: '2024-03-01T00:00:00Z' } },
        // Set from a command line: numbers arrive as text.
        { scope, name: 'run3', meta: { run_number: '3', stream: 'calibration', energy: '13.6', calibrated: 'True' } },
        { scope, name: 'raw.000000', meta: { run_number: 1 } },
      ]);
    });

    it('compares with =, !=, <, >, <=, >= on numbers, also stored as text', async () => {
      expect(await search({ filters: { run_number: 1 } })).toEqual(['run1']);
      expect(await search({ filters: { run_number: 3 } })).toEqual(['run3']);
      expect(await search({ filters: { 'stream.ne': 'physics_Main' } })).toEqual(['run2', 'run3']);
      expect(await search({ filters: { 'energy.gt': 6.5 } })).toEqual(['run2', 'run3']);
      expect(await search({ filters: { 'energy.gte': 6.5 } })).toEqual(['run1', 'run2', 'run3']);
      expect(await search({ filters: { 'energy.lt': 13 } })).toEqual(['run1']);
      expect(await search({ filters: { 'energy.lte': 13 } })).toEqual(['run1', 'run2']);
      expect(await search({ filters: { 'run_number.gte': '2' } })).toEqual(['run2', 'run3']);
      expect(await search({ filters: { 'run_number.ne': 2 } })).toEqual(['run1', 'run3']);
    });

    it('matches lists with in, wildcards on text, booleans and dates', async () => {
      expect(await search({ filters: { 'stream.in': ['physics_Main', 'calibration'] } })).toEqual(['run1', 'run3']);
      expect(await search({ filters: { run_number: [1, 2] } })).toEqual(['run1', 'run2']);
      expect(await search({ filters: { stream: 'physics_*' } })).toEqual(['run1', 'run2']);
      expect(await search({ filters: { 'stream.ne': 'physics*' } })).toEqual(['run3']);
      expect(await search({ filters: { stream: '*Muon*' } })).toEqual(['run2']);
      expect(await search({ filters: { calibrated: true } })).toEqual(['run1', 'run3']);
      expect(await search({ filters: { calibrated: 'false' } })).toEqual(['run2']);
      expect(await search({ filters: { 'taken_at.gt': '2024-02-01 00:00:00' } })).toEqual(['run2']);
      expect(await search({ filters: { 'taken_at.lte': new Date('2024-01-10T00:00:00Z') } })).toEqual(['run1']);
    });

    it('combines terms with and (one dict) and or (a list, or ; in the CLI form)', async () => {
      expect(await search({ filters: { stream: 'physics_*', 'energy.gt': 10 } })).toEqual(['run2']);
      expect(await search({ filters: [{ run_number: 1 }, { stream: 'calibration' }] })).toEqual(['run1', 'run3']);
      expect(await search({ filters: 'energy>10; run_number=1' })).toEqual(['run1', 'run2', 'run3']);
      expect(await search({ filters: '7<energy<=13, stream!=calibration' })).toEqual(['run2']);
      expect(await search({ filters: [{ run_number: 1 }, { run_number: 1, stream: 'physics_Main' }] })).toEqual(['run1']);
    });

    it('filters on DID columns and types, with names by wildcard, in name order, with limit and offset', async () => {
      expect(await search({ filters: { 'length.gt': 0 } })).toEqual(['run1']);
      expect(await search({ filters: { 'bytes.gte': 200, type: 'dataset' } })).toEqual(['run1']);
      expect(await search({ filters: { created_after: '2000-01-01T00:00:00' } })).toEqual(['cnt', 'nometa', 'run1', 'run2', 'run3']);
      expect(await search({ filters: { created_before: '2000-01-01T00:00:00' } })).toEqual([]);
      expect(await search({ filters: { run_number: 1 }, type: 'all' })).toEqual(['raw.000000', 'run1']);
      expect(await search({ filters: { run_number: 1 }, type: 'file' })).toEqual(['raw.000000']);
      expect(await search({ type: 'container' })).toEqual(['cnt']);
      expect(await search({ filters: { name: 'run*' }, limit: 2 })).toEqual(['run1', 'run2']);
      expect(await search({ filters: { name: 'run*' }, limit: 2, offset: 1 })).toEqual(['run2', 'run3']);
      expect(await search({ filters: { name: 'run1' } })).toEqual(['run1']);
      const files = await collectRows(await metadata.listDids(alice, scope, { name: 'r*', type: 'file' }));
      expect(files.map((r) => r.name)).toEqual(['raw.000000', 'run1.file.000000', 'run1.file.000001']);
      const all = await collectRows(await metadata.listDids(alice, scope, { name: 'run?' }));
      expect(all).toEqual([]);
      const listed = await collectRows(await metadata.listDids(alice, scope, { name: 'run*' }));
      expect(listed.map((r) => [r.name, r.didType])).toEqual([
        ['run1', DidType.DATASET],
        ['run1.file.000000', DidType.FILE],
        ['run1.file.000001', DidType.FILE],
        ['run2', DidType.DATASET],
        ['run3', DidType.DATASET],
      ]);
      expect(listed[0]).toEqual({ scope, name: 'run1', didType: DidType.DATASET, bytes: 200, length: 2 });
    });

    it('names unknown operators and bad values, and denies restricted scopes', async () => {
      const unknown = await failure(metadata.search(alice, scope, { filters: { 'energy.approx': 13 } }));
      expect(unknown).toBeInstanceOf(InvalidInput);
      expect(unknown.message).toMatch(/Unknown operator 'approx' in filter key 'energy.approx'/);
      expect((await failure(metadata.search(alice, scope, { type: 'folder' }))).rucioClass).toBe('UnsupportedOperation');
      expect((await failure(metadata.search(alice, scope, { filters: { 'length.gt': 'x' } }))).message).toMatch(/a number is expected/);
      expect((await failure(metadata.search(alice, scope, { limit: -1 }))).rucioClass).toBe('InvalidValueForKey');
      expect((await failure(metadata.search(alice, bob.scope, {}))).rucioClass).toBe('AccessDenied');
      expect((await failure(metadata.search(alice, 'no.scope', {}))).rucioClass).toBe('ScopeNotFound');
      expect(await collectRows(await metadata.search(bob, bob.scope, { type: 'all' }))).toHaveLength(1);
    });

    it('answers equality and ranges on metadata through the GIN index in a large scope', async () => {
      const big = 'search.big';
      await db.dataSource.query(`INSERT INTO scopes (scope, account) VALUES ($1, 'alice')`, [big]);
      await db.dataSource.query(
        `INSERT INTO dids (scope, name, account, did_type, is_open) SELECT $1, 'ds.' || i, 'alice', 'D', true FROM generate_series(1, 20000) i`,
        [big],
      );
      await db.dataSource.query(
        `INSERT INTO did_meta (scope, name, meta)
         SELECT $1, 'ds.' || i, jsonb_build_object('stream', 's' || (i % 500)) || CASE WHEN i % 400 = 0 THEN jsonb_build_object('rare', i) ELSE '{}' END
           FROM generate_series(1, 20000) i`,
        [big],
      );
      await db.dataSource.query('ANALYZE dids; ANALYZE did_meta');
      const plan = async (filters: DidSearchOptions['filters']) => {
        const { sql, params } = didSearchSql({ scope: big, groups: parseDidFilters(filters, 'collection') });
        const rows: { 'QUERY PLAN': string }[] = await db.dataSource.query(`EXPLAIN ${sql}`, params);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      expect(await plan({ stream: 's7' })).toContain('did_meta_meta_gin_idx');
      expect(await plan({ 'rare.gt': 10000 })).toContain('did_meta_meta_gin_idx');
      const found = await collectRows(await metadata.search(alice, big, { filters: { 'rare.gt': 19000 } }));
      expect(found.map((r) => r.name)).toEqual(['ds.19200', 'ds.19600', 'ds.20000']);
    });
  });
});
