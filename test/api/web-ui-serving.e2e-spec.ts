/**
 * The API process serves the built web UI at /ui: the bundle's files (hashed assets cached for good), index.html for
 * every route of the UI whatever its last segment looks like, a policy that lets pages load nothing from elsewhere,
 * nothing outside the bundle, and a clear 503 when the UI was not built.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';

const INDEX = '<!doctype html><title>Tarn</title><div id="app"></div>';

describe('the web UI served at /ui', () => {
  let db: TestDatabase;
  let api: TestApi;
  let unbuilt: TestApi;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tarn-web-serving-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'index-3f2a1b.js'), 'console.log(1);');
    writeFileSync(join(dir, 'robots.txt'), 'User-agent: *\nDisallow: /\n');
    writeFileSync(join(tmpdir(), 'tarn-web-serving-secret.txt'), 'not part of the UI');
    db = await createTestDatabase();
    api = await startTestApi(db, { TARN_UI_DIR: dir });
    unbuilt = await startTestApi(db, { TARN_UI_DIR: join(dir, 'nothing-here') });
  });

  afterAll(async () => {
    await api?.close();
    await unbuilt?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'tarn-web-serving-secret.txt'), { force: true });
  });

  it('answers index.html for the UI and each of its routes, a DID name with a dot too, revalidated', async () => {
    for (const path of ['/ui', '/ui/', '/ui/rules', '/ui/rules/2f1e0c2a-0000-4000-8000-000000000000', '/ui/dids/exp.raw/run_0001.fits', '/ui/dids/user.jdoe/a%20b.tar.gz']) {
      const response = await request(api.url).get(path).expect(200);
      expect([path, response.text, response.headers['cache-control']]).toEqual([path, INDEX, 'no-cache']);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
    }
  });

  it('lets pages load only from Tarn itself and never be framed', async () => {
    const response = await request(api.url).get('/ui/').expect(200);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the hashed assets for a year and the other files of the bundle revalidated', async () => {
    const asset = await request(api.url).get('/ui/assets/index-3f2a1b.js').expect(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await request(api.url).get('/ui/robots.txt').expect(200)).headers['cache-control']).toBe('no-cache');
    expect((await request(api.url).get('/ui/assets/index-000000.js').expect(404)).text).toMatch(/No file \/ui\/assets\/index-000000\.js/);
  });

  it('serves nothing outside the bundle', async () => {
    for (const path of ['/ui/..%2ftarn-web-serving-secret.txt', '/ui/assets/..%2f..%2ftarn-web-serving-secret.txt', '/ui/assets/%2e%2e/%2e%2e/tarn-web-serving-secret.txt', '/ui/..']) {
      const response = await request(api.url).get(path);
      // Either the UI's index.html (a route of its own) or 404: never the file beside the bundle.
      expect([path, response.status === 200 ? response.text : response.status]).toEqual([path, response.status === 200 ? INDEX : 404]);
    }
  });

  it('leaves other methods to the API', async () => {
    const response = await request(api.url).post('/ui/rules').expect(404);
    expect(response.headers['content-security-policy']).toBeUndefined();
  });

  it('says how to build the UI when it was not built', async () => {
    const response = await request(unbuilt.url).get('/ui/').expect(503);
    expect(response.text).toMatch(/web UI is not built in .*nothing-here: run npm run build \(or set TARN_UI_DIR\)/);
    await request(unbuilt.url).get('/ping').expect(200);
  });
});
