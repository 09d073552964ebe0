import request from 'supertest';
import * as fs from 'node:fs';
import { startTestApi } from '@tarn/testing/api.js';
import { createTestDatabase } from '@tarn/testing/database.js';
it('dumps', async () => {
  const db = await createTestDatabase();
  const api = await startTestApi(db);
  const response = await request(api.url).get('/api-docs/json').expect(200);
  fs.writeFileSync('/tmp/hardening/openapi.json', JSON.stringify(response.body, null, 1));
  await api.close(); await db.drop();
});
