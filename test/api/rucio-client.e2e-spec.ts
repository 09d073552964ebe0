import { randomBytes } from 'node:crypto';
import { rucioClient, startTestApi, type RucioClient, type TestApi } from '@tarn/testing/api.js';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { passQueuedVerifications } from '@tarn/testing/factories/verification.factory.js';

/**
 * The acceptance scenario: the stock `rucio` and `rucio-admin` command lines (rucio-clients from PyPI, unmodified)
 * against the real API on PostgreSQL. An administrator sets up an account, a scope and RSEs; the user then
 * registers files, builds a dataset, replicates it with a rule, lists and removes the rule. Steps run in order
 * and share state: when one fails, the ones after it that need its result fail too.
 */

const STEP_TIMEOUT = 180_000;

const ADD_REPLICAS = `
import json, sys
from rucio.client import Client
Client().add_replicas(rse=sys.argv[1], files=json.loads(sys.argv[2]))
print("ok")
`;

const RULE_ID = /\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/;

describe('the stock Rucio client against Tarn', () => {
  const hex = randomBytes(3).toString('hex');
  const user = `jdoe-${hex}`;
  const userPassword = `pw-${randomBytes(8).toString('hex')}`;
  const scope = `user.jdoe${hex}`;
  const siteA = `SITE_A_${hex.toUpperCase()}`;
  const siteB = `SITE_B_${hex.toUpperCase()}`;
  const dataset = `${scope}:run4711`;
  const files = [
    { scope, name: 'run4711.raw.1', bytes: 1024, adler32: '0b4c01a1' },
    { scope, name: 'run4711.raw.2', bytes: 2048, adler32: '1c2d3e4f' },
  ];

  let db: TestDatabase;
  let api: TestApi;
  let admin: RucioClient;
  let jdoe: RucioClient;
  let ruleId: string | undefined;

  const out = async (client: RucioClient, command: 'rucio' | 'rucio-admin', args: string[]) => (await client.run(command, args)).stdout;

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    const rootPassword = `root-${randomBytes(8).toString('hex')}`;
    await createAccount(db.dataSource, { account: 'root', admin: true, password: rootPassword });
    admin = await rucioClient(api.url, 'root', rootPassword);
    jdoe = await rucioClient(api.url, user, userPassword);
  }, STEP_TIMEOUT);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
  });

  describe('set up by an administrator with rucio-admin', () => {
    it('account add, identity add (userpass), account info and identities', async () => {
      expect(await out(admin, 'rucio-admin', ['account', 'add', '--type', 'USER', '--email', 'jdoe@example.org', user])).toContain(user);
      await out(admin, 'rucio-admin', ['identity', 'add', '--account', user, '--type', 'USERPASS', '--id', user, '--email', 'jdoe@example.org', '--password', userPassword]);
      const info = await out(admin, 'rucio-admin', ['account', 'info', user]);
      expect(info).toMatch(new RegExp(`account\\s*:?\\s*│?\\s*${user}|${user}`));
      expect(info).toContain('USER');
      expect(await out(admin, 'rucio-admin', ['account', 'list-identities', user])).toContain(user);
      expect(await out(admin, 'rucio-admin', ['account', 'list', '--type', 'USER'])).toContain(user);
    }, STEP_TIMEOUT);

    it('the new syntax: account show, account attribute set and list, account identity list', async () => {
      expect(await out(admin, 'rucio', ['account', 'show', user])).toContain('jdoe@example.org');
      await out(admin, 'rucio', ['account', 'attribute', 'set', user, '--key', 'country', '--value', 'CH']);
      await out(admin, 'rucio', ['account', 'attribute', 'set', user, '--key', 'country', '--value', 'IT']);
      expect(await out(admin, 'rucio', ['account', 'attribute', 'list', user])).toMatch(/country[^\n]*IT/);
      expect(await out(admin, 'rucio', ['account', 'identity', 'list', user])).toContain('USERPASS');
    }, STEP_TIMEOUT);

    it('scope add and scope list', async () => {
      await out(admin, 'rucio-admin', ['scope', 'add', '--account', user, '--scope', scope]);
      expect(await out(admin, 'rucio-admin', ['scope', 'list', '--account', user])).toContain(scope);
      expect(await out(admin, 'rucio-admin', ['scope', 'list'])).toContain(scope);
    }, STEP_TIMEOUT);

    it('rse add, set-attribute, add-protocol, add-distance', async () => {
      await out(admin, 'rucio-admin', ['rse', 'add', siteA]);
      await out(admin, 'rucio-admin', ['rse', 'add', siteB]);
      await out(admin, 'rucio-admin', ['rse', 'set-attribute', '--rse', siteA, '--key', 'QOS', '--value', 'SAFE']);
      const domains = { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }, lan: { read: 1, write: 1, delete: 1 } };
      for (const rse of [siteA, siteB]) {
        await out(admin, 'rucio-admin', [
          'rse', 'add-protocol', rse,
          '--hostname', `${rse.toLowerCase()}.example.org`, '--scheme', 'davs', '--port', '443', '--prefix', '/tarn/data',
          '--impl', 'rucio.rse.protocols.webdav.Default', '--domain-json', JSON.stringify(domains),
        ]);
      }
      await out(admin, 'rucio-admin', ['rse', 'add-distance', siteA, siteB, '--distance', '2']);
      expect(await out(admin, 'rucio-admin', ['rse', 'get-distance', siteA, siteB])).toMatch(/2/);
      expect(await out(admin, 'rucio-admin', ['rse', 'get-attribute', siteA])).toMatch(/QOS[^\n]*SAFE/);
    }, STEP_TIMEOUT);

    it('account set-limits (local and global) and get-limits', async () => {
      expect(await out(admin, 'rucio-admin', ['account', 'set-limits', user, siteA, '10GB'])).toContain(siteA);
      await out(admin, 'rucio-admin', ['account', 'set-limits', user, 'QOS=SAFE', '20GB', 'global']);
      expect(await out(admin, 'rucio-admin', ['account', 'get-limits', user, siteA])).toMatch(new RegExp(`${siteA}[^\\n]*10\\.000 GB`));
      expect(await out(admin, 'rucio-admin', ['account', 'get-limits', user, 'QOS=SAFE', 'global'])).toMatch(/QOS=SAFE[^\n]*20\.000 GB/);
    }, STEP_TIMEOUT);
  });

  describe('used by the account with rucio', () => {
    it('ping and whoami', async () => {
      expect((await out(jdoe, 'rucio', ['ping'])).trim()).toMatch(/^\d+\.\d+\.\d+$/);
      const whoami = await out(jdoe, 'rucio', ['whoami']);
      expect(whoami).toContain(user);
      expect(whoami).toContain('ACTIVE');
    }, STEP_TIMEOUT);

    it('logs in again by itself when its token expired', async () => {
      await db.dataSource.query(`UPDATE tokens SET expired_at = now() - interval '1 second' WHERE account = $1`, [user]);
      expect(await out(jdoe, 'rucio', ['whoami'])).toContain(user);
      const [{ live }] = await db.dataSource.query(`SELECT count(*)::int AS live FROM tokens WHERE account = $1 AND expired_at > now()`, [user]);
      expect(live).toBeGreaterThanOrEqual(1);
    }, STEP_TIMEOUT);

    it('rse list, with and without an expression', async () => {
      const all = await out(jdoe, 'rucio', ['rse', 'list']);
      expect(all).toContain(siteA);
      expect(all).toContain(siteB);
      const safe = await out(jdoe, 'rucio', ['rse', 'list', '--rses', 'QOS=SAFE']);
      expect(safe).toContain(siteA);
      expect(safe).not.toContain(siteB);
    }, STEP_TIMEOUT);

    it('account limit list shows the quota on the RSE', async () => {
      expect(await out(jdoe, 'rucio', ['account', 'limit', 'list', user])).toMatch(new RegExp(`${siteA}[^\\n]*10\\.000 GB`));
    }, STEP_TIMEOUT);

    it('did add (a dataset)', async () => {
      await out(jdoe, 'rucio', ['did', 'add', '--type', 'dataset', dataset]);
      expect(await out(jdoe, 'rucio', ['did', 'list', `${scope}:*`, '--short'])).toContain(dataset);
    }, STEP_TIMEOUT);

    it('registers files with replicas through the client library (add_replicas)', async () => {
      expect(await jdoe.python(ADD_REPLICAS, [siteA, JSON.stringify(files)])).toContain('ok');
      // The replica-registrar's verdict once it has checked them on the storage (this RSE's host is not reachable here).
      expect(await passQueuedVerifications(db.dataSource)).toBe(2);
    }, STEP_TIMEOUT);

    it('did content add (attach the files) and did content list', async () => {
      await out(jdoe, 'rucio', ['did', 'content', 'add', '--to-did', dataset, ...files.map((f) => `${f.scope}:${f.name}`)]);
      const content = await out(jdoe, 'rucio', ['did', 'content', 'list', dataset]);
      for (const f of files) expect(content).toContain(f.name);
    }, STEP_TIMEOUT);

    it('rule add', async () => {
      const added = await out(jdoe, 'rucio', ['rule', 'add', dataset, '--copies', '1', '--rses', 'QOS=SAFE']);
      ruleId = RULE_ID.exec(added)?.[0];
      expect(ruleId).toBeDefined();
    }, STEP_TIMEOUT);

    it('rule list --account', async () => {
      expect(ruleId).toBeDefined();
      const listed = await out(jdoe, 'rucio', ['rule', 'list', '--account', user]);
      expect(listed).toContain(ruleId!);
      expect(listed).toContain(dataset);
    }, STEP_TIMEOUT);

    it('rule list --did', async () => {
      expect(ruleId).toBeDefined();
      expect(await out(jdoe, 'rucio', ['rule', 'list', '--did', dataset])).toContain(ruleId!);
    }, STEP_TIMEOUT);

    it('rule show: the files already are on the chosen RSE, so the rule is OK with 2 locks', async () => {
      expect(ruleId).toBeDefined();
      const shown = await out(jdoe, 'rucio', ['rule', 'show', ruleId!]);
      expect(shown).toMatch(/State:\s+OK/);
      expect(shown).toMatch(/Locks OK\/REPLICATING\/STUCK:\s+2\/0\/0/);
      expect(shown).toMatch(new RegExp(`Account:\\s+${user}`));
    }, STEP_TIMEOUT);

    it('replica list file shows each file on the RSE with its PFN', async () => {
      const replicas = await out(jdoe, 'rucio', ['replica', 'list', 'file', dataset]);
      for (const f of files) expect(replicas).toContain(f.name);
      expect(replicas).toContain(siteA);
      expect(replicas).toContain(`davs://${siteA.toLowerCase()}.example.org:443/tarn/data/`);
    }, STEP_TIMEOUT);

    it('may not write in another account’s scope', async () => {
      const refused = await jdoe.attempt('rucio', ['did', 'add', '--type', 'dataset', `root:${user}-intrusion`]);
      expect(refused.code).not.toBe(0);
      const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM dids WHERE name = $1`, [`${user}-intrusion`]);
      expect(row.n).toBe(0);
    }, STEP_TIMEOUT);

    it('rule remove', async () => {
      expect(ruleId).toBeDefined();
      await out(jdoe, 'rucio', ['rule', 'remove', ruleId!]);
      const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM rules WHERE id = $1`, [ruleId]);
      expect(row.n).toBe(0);
      expect(await out(jdoe, 'rucio', ['rule', 'list', '--account', user])).not.toContain(ruleId!);
    }, STEP_TIMEOUT);
  });
});
