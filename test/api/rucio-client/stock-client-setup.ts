import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { rucioClient, startTestApi, type RucioClient, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createScope } from '@tarn/testing/factories/scope.factory.js';
import { createRse, type CreatedRse } from '@tarn/testing/factories/rse.factory.js';

/** A davs protocol on a host nobody answers: PFNs are built, nothing is ever read from it. */
export function davsProtocol(rse: string) {
  return {
    scheme: 'davs',
    hostname: `${rse.toLowerCase().replace(/_/g, '-')}.example.org`,
    port: 443,
    prefix: '/tarn/data',
    impl: 'rucio.rse.protocols.webdav.Default',
    domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }, lan: { read: 1, write: 1, delete: 1 } },
  };
}

export interface PosixArea {
  /** POSIX_<hex>, a posix RSE whose files are under `storage`. */
  rse: CreatedRse;
  storage: string;
  /** A directory for the client's own files (to upload, downloaded). */
  work: string;
  drop(): void;
}

/** A posix RSE on a new temporary directory, and a working directory beside it. */
export async function posixArea(w: StockClientWorld, label: string): Promise<PosixArea> {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), `tarn-${label}-rse-`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tarn-${label}-work-`));
  const rse = await createRse(w.db.dataSource, {
    rse: `POSIX_${w.hex.toUpperCase()}`,
    protocols: [{ scheme: 'file', hostname: 'localhost', port: 0, prefix: storage, impl: 'rucio.rse.protocols.posix.Default', domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } } }],
  });
  return { rse, storage, work, drop: () => [storage, work].forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })) };
}

export interface StockClientWorld {
  db: TestDatabase;
  api: TestApi;
  hex: string;
  root: RucioClient;
  /** An ordinary account with a scope of its own. */
  user: RucioClient;
  userAccount: string;
  scope: string;
  /** Two RSEs with a davs protocol: siteA has QOS=SAFE. */
  siteA: CreatedRse;
  siteB: CreatedRse;
  /** A token of root or of the user, as Rucio's web UI gets one (GET /auth/userpass). */
  token(account: string): Promise<string>;
  close(): Promise<void>;
}

/** The API on a fresh database, an administrator and a user (stock-client configs for both), a scope and two RSEs. */
export async function stockClientWorld(): Promise<StockClientWorld> {
  const hex = randomBytes(3).toString('hex');
  const db = await createTestDatabase();
  const api = await startTestApi(db);
  const rootPassword = `root-${randomBytes(8).toString('hex')}`;
  const userPassword = `pw-${randomBytes(8).toString('hex')}`;
  const userAccount = `jdoe-${hex}`;
  await createAccount(db.dataSource, { account: 'root', admin: true, password: rootPassword });
  await createAccount(db.dataSource, { account: userAccount, password: userPassword, email: `${userAccount}@example.org` });
  const { scope } = await createScope(db.dataSource, { scope: `user.jdoe${hex}`, account: userAccount });
  const siteA = await createRse(db.dataSource, { rse: `SITE_A_${hex.toUpperCase()}`, attributes: { QOS: 'SAFE' }, protocols: [davsProtocol(`SITE_A_${hex}`)] });
  const siteB = await createRse(db.dataSource, { rse: `SITE_B_${hex.toUpperCase()}`, protocols: [davsProtocol(`SITE_B_${hex}`)] });
  const [root, user] = await Promise.all([rucioClient(api.url, 'root', rootPassword), rucioClient(api.url, userAccount, userPassword)]);
  return {
    db,
    api,
    hex,
    root,
    user,
    userAccount,
    scope,
    siteA,
    siteB,
    token: async (account) => {
      const password = account === 'root' ? rootPassword : account === userAccount ? userPassword : undefined;
      if (!password) throw new Error(`no password known for ${account}`);
      const res = await fetch(`${api.url}/auth/userpass`, {
        headers: { 'X-Rucio-Account': account, 'X-Rucio-Username': account, 'X-Rucio-Password': password },
      });
      const token = res.headers.get('X-Rucio-Auth-Token');
      if (res.status !== 200 || !token) throw new Error(`login of ${account} failed: ${res.status} ${await res.text()}`);
      return token;
    },
    close: async () => {
      await api.close();
      await db.drop();
    },
  };
}
