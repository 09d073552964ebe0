/**
 * API requests on /metrics: counted by method, route template and status, with their latency; the DID a request names
 * never becomes a label, and a path no route takes is `unmatched`. The API alone (apps/api, its own process) serves
 * them on its own metrics port, as each daemon process does.
 */
import { jest } from '@jest/globals';
import request from 'supertest';
import { DaemonMetrics } from '@tarn/daemon';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { startDaemonProcess } from '@tarn/testing/daemon-process.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { freePort } from '@tarn/testing/disposable-postgres.js';
import { sample } from '@tarn/testing/prometheus.js';
import { waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(90_000);

describe('API request metrics', () => {
  let db: TestDatabase;
  let api: TestApi;
  const scrape = () => DaemonMetrics.forProcess().registry.metrics();

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
  });

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  it('counts requests by route template and status, with latency, and never names a DID', async () => {
    const before = await scrape();
    const count = (text: string, route: string, status: string, method = 'GET') => sample(text, 'tarn_api_requests_total', { method, route, status }) ?? 0;
    await request(api.url).get('/ping').expect(200);
    await request(api.url).get('/ping').expect(200);
    const did = await request(api.url).get('/dids/secretscope/run4711-secret-name');
    expect(did.status).toBeGreaterThanOrEqual(400);
    await request(api.url).get('/no/such/route/run4711-secret-name').expect(404);
    const after = await scrape();
    expect(count(after, '/ping', '200') - count(before, '/ping', '200')).toBe(2);
    expect(count(after, 'unmatched', '404') - count(before, 'unmatched', '404')).toBe(1);
    const didRoutes = after.split('\n').filter((l) => l.startsWith('tarn_api_requests_total') && l.includes(`status="${did.status}"`) && l.includes('/dids/'));
    expect(didRoutes.length).toBeGreaterThan(0);
    expect(after).not.toContain('run4711-secret-name');
    expect(after).not.toContain('secretscope');
    expect(sample(after, 'tarn_api_request_duration_seconds_count', { method: 'GET', route: '/ping', status: '200' })).toBeGreaterThanOrEqual(2);
  });

  it('is served by the API process on its metrics port', async () => {
    const apiPort = await freePort();
    const api = startDaemonProcess('api', db.url, { TARN_HOST: '127.0.0.1', TARN_PORT: String(apiPort), TARN_METRICS_PORT: '0' });
    try {
      const metricsUrl = await waitFor(
        'the API process listening, with its metrics port',
        async () => /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(api.output())?.[1],
        60_000,
      ).catch((error) => {
        throw new Error(`${error.message}\n${api.output()}`);
      });
      await waitFor('the API answering', async () => (await fetch(`http://127.0.0.1:${apiPort}/ping`).catch(() => null))?.ok);
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(sample(text, 'tarn_api_requests_total', { method: 'GET', route: '/ping', status: '200' })).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^process_resident_memory_bytes /m);
      expect((await fetch(`${metricsUrl}/health/ready`)).status).toBe(404);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});
