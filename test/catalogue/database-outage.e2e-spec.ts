/**
 * PostgreSQL stopped and started again under a running Tarn (the API and every daemon, on a PostgreSQL server of this
 * test's own): Tarn says so in one log line, the API answers 503 DatabaseUnavailable in Rucio's shape (no 500, no
 * stack trace), the daemons wait, and everything resumes when the server is back; what was acknowledged is there.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { AuthenticationService } from '@tarn/core';
import { createDataSource, runMigrations } from '@tarn/catalogue';
import { DaemonRegistry } from '@tarn/daemon';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { startDisposablePostgres, type DisposablePostgres } from '@tarn/testing/disposable-postgres.js';
import type { TestDatabase } from '@tarn/testing/database.js';
import { captureOutput, type CapturedOutput } from '@tarn/testing/output.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';

jest.setTimeout(180_000);

const SCOPE = 'user.outage';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the catalogue database goes away under a running Tarn', () => {
  let pg: DisposablePostgres;
  let db: TestDatabase;
  let tarn: TestTarn;
  let token: string;
  let output: CapturedOutput;

  const as = (method: 'get' | 'post', path: string, body?: unknown) => {
    const req = request(tarn.url)[method](path).set('X-Rucio-Auth-Token', token);
    return body === undefined ? req : req.send(body as object);
  };

  beforeAll(async () => {
    pg = await startDisposablePostgres();
    await pg.createDatabase('tarn');
    const dataSource = createDataSource({ url: pg.url('tarn') });
    await dataSource.initialize();
    await runMigrations(dataSource);
    db = { name: 'tarn', url: pg.url('tarn'), dataSource, drop: async () => void (dataSource.isInitialized && (await dataSource.destroy())) };
    await createAccount(dataSource, { account: 'jdoe', password: 'outage-password' });
    await createScope(dataSource, { scope: SCOPE, account: 'jdoe' });
    tarn = await startTestTarn(db, 'embedded');
    token = (await tarn.app.get(AuthenticationService).authenticateUserpass('jdoe', 'jdoe', 'outage-password')).token;
    output = captureOutput();
  });

  afterAll(async () => {
    output?.restore();
    await tarn?.close();
    await db?.drop();
    await pg?.remove();
  });

  it('answers 503 DatabaseUnavailable, logs it once, waits, and resumes when it is back; nothing acknowledged is lost', async () => {
    await as('post', `/dids/${SCOPE}/before`, { type: 'DATASET' }).expect(201);
    const registry = tarn.app.get(DaemonRegistry);

    await pg.stop();
    for (const answer of [await as('get', `/dids/${SCOPE}/before`), await as('post', `/dids/${SCOPE}/during`, { type: 'DATASET' })]) {
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 503,
        body: { ExceptionClass: 'DatabaseUnavailable', ExceptionMessage: expect.stringMatching(/does not answer.*try again/) },
      });
      expect(answer.headers['retry-after']).toBe('10');
    }
    // The daemons with the shortest intervals found out by now, and wait.
    await until('daemons waiting for the database', async () => registry.list().some((d) => d.status().waitingForDatabase));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(output.lines(/catalogue database does not answer/)).toHaveLength(1);
    expect(output.text()).not.toMatch(/internal error|pass failed|\n\s+at |heartbeat|cannot LISTEN|cannot read the outbox/);

    const restartedAt = new Date();
    await pg.start();
    await until('the API to answer again', async () => (await as('get', `/dids/${SCOPE}/before`)).status === 200);
    await as('post', `/dids/${SCOPE}/after`, { type: 'DATASET' }).expect(201);
    await until('every daemon to resume', async () => registry.list().every((d) => !d.status().waitingForDatabase));
    const beats = await until('fresh heartbeats', async () => {
      const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM heartbeats WHERE updated_at > $1`, [restartedAt]);
      return n > 0 && n;
    });
    expect(beats).toBeGreaterThan(0);
    expect(output.lines(/catalogue database answers again/)).toHaveLength(1);

    const names = (await db.dataSource.query(`SELECT name FROM dids WHERE scope = $1 ORDER BY name`, [SCOPE])).map((r: { name: string }) => r.name);
    expect(names).toEqual(['after', 'before']);
  });
});
