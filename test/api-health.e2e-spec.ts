import request from 'supertest';
import { loadConfig } from '@tarn/config';
import { openCatalogue, PendingMigrationsError } from '@tarn/catalogue';
import { startTestApi, TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';

describe('GET /health', () => {
  let db: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
  });

  afterAll(async () => {
    await api?.close();
    await db.drop();
  });

  it('answers 200 without a token when the catalogue answers', async () => {
    const response = await request(api.url).get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('serves the OpenAPI document', async () => {
    const response = await request(api.url).get('/api-docs/json').expect(200);
    expect(response.body.info.title).toBe('Tarn');
  });
});

describe('a Tarn process on a catalogue with pending migrations', () => {
  it('refuses to start and names the migrations to apply', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const opening = openCatalogue(loadConfig({ DATABASE_URL: db.url }));
      await expect(opening).rejects.toBeInstanceOf(PendingMigrationsError);
      await expect(opening).rejects.toThrow(/migration\(s\) not applied \(Catalogue\d+.*\)\. Run `npm run migrate`/);
    } finally {
      await db.drop();
    }
  });
});

describe('the wire format the stock Rucio client expects', () => {
  let db: TestDatabase;
  let api: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
  });

  afterAll(async () => {
    await api?.close();
    await db.drop();
  });

  it('answers JSON with the exact Content-Type application/json', async () => {
    const response = await request(api.url).get('/health').expect(200);
    expect(response.headers['content-type']).toBe('application/json');
  });
});
