/**
 * API requests on /metrics: counted by method, route template and status, with their latency; the DID a request names
 * never becomes a label, and a path no route takes is `unmatched`.
 */
import request from 'supertest';
import { DaemonMetrics } from '@tarn/daemon';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { sample } from '@tarn/testing/prometheus.js';

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
});
