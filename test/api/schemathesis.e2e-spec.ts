/**
 * Schemathesis, a schema-driven fuzzer, sends requests generated from the OpenAPI document to every operation for
 * about a minute and a half, as an administrator: no answer may be a 5xx. A longer run is `npm run bench:fuzz`.
 * A finding becomes a test of its own (bad-bytes, request-limits, ...) beside its fix.
 */
import { jest } from '@jest/globals';
import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { AnswerCounter, runSchemathesis, seedFuzzFixtures } from '@tarn/testing/fuzz.js';
import * as fs from 'node:fs';

jest.setTimeout(600_000);

const SECONDS = 90;
const SEED = 20261205;

describe('schemathesis over the OpenAPI document', () => {
  let db: TestDatabase;
  let api: TestApi;
  let storage: string | undefined;
  const answers = new AnswerCounter();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db, {}, { onResponse: (req, res) => answers.count(req.method, req.url, res.statusCode) });
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    if (storage) fs.rmSync(storage, { recursive: true, force: true });
  });

  it(`answers no generated request with a 5xx (${SECONDS} s)`, async () => {
    const auth = api.app.get(AuthenticationService);
    const fixtures = await seedFuzzFixtures(db.dataSource, async (account, password) => (await auth.authenticateUserpass(account, account, password)).token);
    storage = fixtures.storage;
    const run = await runSchemathesis(api.url, fixtures.adminToken, { maxTime: SECONDS, seed: SEED });
    if (run.exitCode !== 0 || answers.serverErrors > 0) {
      throw new Error(`schemathesis exited ${run.exitCode}; the API answered ${answers.serverErrors} 5xx: ${answers.firstServerErrors.join('; ')}\n${run.output.slice(-6000)}`);
    }
    expect(answers.total).toBeGreaterThan(2_000);
  });
});
