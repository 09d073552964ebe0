import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { loadConfig, TARN_CONFIG } from '@tarn/config';
import { openCatalogue, PendingMigrationsError } from '@tarn/catalogue';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { ApiModule } from '../apps/api/src/api.module.js';

describe('GET /health', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase();
    const moduleRef = await Test.createTestingModule({ imports: [ApiModule] })
      .overrideProvider(TARN_CONFIG)
      .useValue(loadConfig({ DATABASE_URL: db.url }))
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  it('answers 200 when the catalogue answers', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok' });
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
