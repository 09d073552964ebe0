import { AuthenticationService } from '@tarn/core';
import { startTestApi, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createDataset, type FileSpec } from '@tarn/testing/factories/did.factory.js';
import { createReplicas } from '@tarn/testing/factories/replica.factory.js';
import { createRse, type CreatedRse, HTTPS_PROTOCOL } from '@tarn/testing/factories/rse.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { webUi } from './webui-requests.js';

const HTTPS = { scheme: 'https', ...HTTPS_PROTOCOL };

export interface WebUiWorld {
  db: TestDatabase;
  api: TestApi;
  ui: ReturnType<typeof webUi>;
  tokens: { root: string; jdoe: string; mallory: string };
  scope: string;
  source: CreatedRse;
  dest: CreatedRse;
  dataset: { scope: string; name: string; files: FileSpec[] };
  close(): Promise<void>;
}

/**
 * A catalogue as the web UI finds it: root (administrator), jdoe (owns scope user.jdoe), mallory (another user);
 * a source RSE with an https protocol holding a dataset of two files, and a destination RSE where jdoe has a quota.
 */
export async function webUiWorld(): Promise<WebUiWorld> {
  const db = await createTestDatabase();
  const api = await startTestApi(db);
  await createAccount(db.dataSource, { account: 'root', admin: true, password: 'webui-root' });
  await createAccount(db.dataSource, { account: 'jdoe', password: 'webui-jdoe', email: 'jdoe@example.org' });
  await createAccount(db.dataSource, { account: 'mallory', password: 'webui-mallory' });
  const scope = 'user.jdoe';
  await createScope(db.dataSource, { scope, account: 'jdoe' });
  const auth = api.app.get(AuthenticationService);
  const token = async (account: string) => (await auth.authenticateUserpass(account, account, `webui-${account}`)).token;
  const tokens = { root: await token('root'), jdoe: await token('jdoe'), mallory: await token('mallory') };
  const source = await createRse(db.dataSource, { attributes: { site: 'SOURCE' }, protocols: [HTTPS], usage: [{ source: 'storage', used: 2000, free: 8000 }] });
  const dest = await createRse(db.dataSource, { protocols: [{ ...HTTPS, hostname: 'dest.example.org' }] });
  await db.dataSource.query(`INSERT INTO account_limits (account, rse_id, bytes) VALUES ('jdoe', $1, 1e12)`, [dest.id]);
  const dataset = await createDataset(db.dataSource, { scope, account: 'jdoe', files: 2 });
  await createReplicas(db.dataSource, { rseId: source.id, files: dataset.files });
  return {
    db,
    api,
    ui: webUi(api.url),
    tokens,
    scope,
    source,
    dest,
    dataset,
    close: async () => {
      await api.close();
      await db.drop();
    },
  };
}
