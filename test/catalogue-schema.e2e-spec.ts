import { randomUUID } from 'node:crypto';
import { DataSource, EntityMetadata } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { ENTITIES, pendingMigrations, runMigrations } from '@tarn/catalogue';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';

async function schemaDifference(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}

async function userTables(dataSource: DataSource): Promise<string[]> {
  const rows = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations' ORDER BY 1`,
  );
  return rows.map((r: { table_name: string }) => r.table_name);
}

describe('catalogue migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db.drop());

  it('go up, leave no difference with the entities, go down to nothing and up again', async () => {
    const ds = db.dataSource;
    expect(await pendingMigrations(ds)).toHaveLength(ds.migrations.length);
    await runMigrations(ds);
    expect(await pendingMigrations(ds)).toEqual([]);
    expect(await schemaDifference(ds)).toEqual([]);
    const tables = await userTables(ds);
    for (const entity of ds.entityMetadatas) expect(tables).toContain(entity.tableName);

    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await userTables(ds)).toEqual([]);
    const types = await ds.query(`SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'`);
    expect(types).toEqual([]);

    await runMigrations(ds);
    expect(await schemaDifference(ds)).toEqual([]);
  });

  it('keeps the GIN index on DID metadata', async () => {
    const rows = await db.dataSource.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'did_meta_meta_gin_idx'`);
    expect(rows[0].indexdef).toContain('USING gin (meta)');
  });
});

/** A value of the column's type, different per column so that swapped columns are caught. */
function sampleValue(column: ColumnMetadata, index: number): unknown {
  if (column.enum) return column.enum[index % column.enum.length];
  if (column.isArray) return [`a${index}`, `b${index}`];
  switch (String(column.type)) {
    case 'uuid':
      return randomUUID();
    case 'bigint':
      return 2 ** 40 + index; // beyond 32 bits: proves byte counts survive as bigint
    case 'int':
    case 'smallint':
      return 7 + index;
    case 'double precision':
      return 1.5 + index;
    case 'boolean':
      return index % 2 === 0;
    case 'jsonb':
      return { key: `value-${index}`, nested: { n: index, list: [1, 'two', true] } };
    case 'timestamptz':
      return new Date(Date.UTC(2026, 0, 1, 0, 0, index));
    case 'varchar':
      return `v${index}`.slice(0, column.length ? Number(column.length) : 255);
    default:
      throw new Error(`no sample for column type ${String(column.type)} of ${column.propertyName}`);
  }
}

function sampleRow(entity: EntityMetadata): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  entity.columns.forEach((column, index) => {
    if (column.isGenerated && column.generationStrategy === 'increment') return;
    row[column.propertyName] = sampleValue(column, index);
  });
  return row;
}

describe('every catalogue entity', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('covers every table of the schema', () => {
    expect(db.dataSource.entityMetadatas).toHaveLength(ENTITIES.length);
  });

  it.each(ENTITIES.map((e) => [e.name, e] as const))('%s survives a round trip through PostgreSQL', async (_name, target) => {
    const repository = db.dataSource.getRepository(target);
    const entity = repository.metadata;
    const row = sampleRow(entity);
    const result = await repository.insert({ ...row });
    const id = { ...entity.getEntityIdMap(row), ...result.identifiers[0] };
    const found = await repository.findOneByOrFail(id);
    for (const column of entity.columns) {
      if (column.isGenerated && column.generationStrategy === 'increment') {
        expect(typeof column.getEntityValue(found)).toBe('number');
        continue;
      }
      expect({ [column.propertyName]: column.getEntityValue(found) }).toEqual({ [column.propertyName]: row[column.propertyName] });
    }
  });
});
