import { randomBytes } from 'node:crypto';
import { rucioClient } from '@tarn/testing/api.js';
import { describeResult, expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { ADMIN_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const PY = 'import json, sys\nfrom rucio.client import Client\n';

/** Administration through the stock client: the configuration, scope owners, accounts (email filter) and identities. */
describe('administration with the stock Rucio client', () => {
  const calls = new StockCalls(ADMIN_CALLS);
  let w: StockClientWorld;

  beforeAll(async () => {
    w = await stockClientWorld();
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
  });

  it('reads and changes the configuration (administrators only), with typed values', async () => {
    const section = `tarn-admin-${w.hex}`;
    const results = await calls.run([
      calls.call('rucio config set', w.root.step('rucio', ['config', 'set', '--section', section, '--key', 'greeting', '--value', 'hello'])),
      calls.call('rucio-admin config set (legacy)', w.root.step('rucio-admin', ['config', 'set', '--section', section, '--option', 'retries', '--value', '3'])),
      calls.call('Client.set_config_option', w.root.pythonStep(`${PY}Client().set_config_option(sys.argv[1], 'enabled', 'true')`, [section])),
      calls.call('rucio config list', w.root.step('rucio', ['config', 'list'])),
      calls.call('rucio config list --section', w.root.step('rucio', ['config', 'list', '--section', section])),
      calls.call('rucio config list --section --key', w.root.step('rucio', ['config', 'list', '--section', section, '--key', 'greeting'])),
      calls.call('rucio-admin config get (legacy)', w.root.step('rucio-admin', ['config', 'get', '--section', section])),
      calls.call('Client.get_config', w.root.pythonStep(`${PY}print(json.dumps([Client().get_config(sys.argv[1]), Client().get_config(sys.argv[1], 'retries')]))`, [section])),
      calls.call('rucio-admin config delete (legacy)', w.root.step('rucio-admin', ['config', 'delete', '--section', section, '--option', 'retries'])),
      calls.call('rucio config unset', w.root.step('rucio', ['config', 'unset', '--section', section, '--key', 'greeting'])),
      calls.call('Client.delete_config_option', w.root.pythonStep(`${PY}Client().delete_config_option(sys.argv[1], 'enabled')\nprint(json.dumps(Client().get_config()))`, [section])),
      calls.call('rucio config list (not an administrator)', w.user.step('rucio', ['config', 'list']), { fails: true }),
      calls.call('rucio config set (not an administrator)', w.user.step('rucio', ['config', 'set', '--section', section, '--key', 'k', '--value', 'v']), { fails: true }),
    ]);
    expect(results.filter((r, i) => i < 11 && r.code !== 0).map(describeResult)).toEqual([]);
    expect(results.of('rucio config list').stdout).toContain(section);
    expect(results.of('rucio config list --section').stdout).toMatch(/greeting[\s:=|]+hello/);
    expect(results.of('rucio config list --section --key').stdout).toContain('hello');
    expect(results.of('rucio-admin config get (legacy)').stdout).toMatch(/retries\s*=\s*3/);
    expect(lastJson(results.of('Client.get_config'))).toEqual([{ greeting: 'hello', retries: 3, enabled: true }, 3]);
    // Every option is gone, and with them the section.
    expect(lastJson(results.of('Client.delete_config_option'))[section]).toBeUndefined();
    expect(results.of('rucio config set (not an administrator)').stderr).toMatch(/denied|AccessDenied/i);
    expect(await w.db.dataSource.query(`SELECT opt FROM configs WHERE section = $1`, [section])).toEqual([]);

    const removed = await calls.run([
      calls.call('Client.delete_config_section', w.root.pythonStep(
        `${PY}c = Client()\nc.set_config_option(sys.argv[1], 'a', '1')\nc.set_config_option(sys.argv[1], 'b', 'x')\nc.delete_config_section(sys.argv[1])\ntry:\n  c.get_config(sys.argv[1])\nexcept Exception as e:\n  print(json.dumps(type(e).__name__))`,
        [section],
      )),
    ]);
    expectSucceeded(removed);
    expect(lastJson(removed[0])).toBe('ConfigNotFound');
  }, TIMEOUT);

  it('adds scopes and gives one another owner (administrators only)', async () => {
    const other = `lab-${w.hex}`;
    const [scopeA, scopeB] = [`prj${w.hex}.a`, `prj${w.hex}.b`];
    const results = await calls.run([
      calls.call('rucio account add', w.root.step('rucio', ['account', 'add', other, 'GROUP', '--email', `${other}@lab.example.org`])),
      calls.call('rucio scope add', w.root.step('rucio', ['scope', 'add', scopeA, '--account', w.userAccount])),
      calls.call('rucio-admin scope add (legacy)', w.root.step('rucio-admin', ['scope', 'add', '--account', w.userAccount, '--scope', scopeB])),
      calls.call('rucio scope update (not an administrator)', w.user.step('rucio', ['scope', 'update', scopeA, '--account', other]), { fails: true }),
      calls.call('rucio scope update', w.root.step('rucio', ['scope', 'update', scopeA, '--account', other])),
      calls.call('Client.update_scope', w.root.pythonStep(`${PY}print(json.dumps(Client().update_scope(sys.argv[1], sys.argv[2])))`, [other, scopeB])),
      calls.call('rucio scope list --account', w.user.step('rucio', ['scope', 'list', '--account', other])),
      calls.call('rucio-admin scope list (legacy)', w.root.step('rucio-admin', ['scope', 'list', '--account', w.userAccount])),
      calls.call('Client.list_scope_owners', w.user.pythonStep(`${PY}print(json.dumps(sorted((s['scope'], s['account']) for s in Client().list_scope_owners() if s['scope'].startswith(sys.argv[1]))))`, [`prj${w.hex}`])),
      calls.call('Client.list_scopes_for_account', w.user.pythonStep(`${PY}print(json.dumps(sorted(Client().list_scopes_for_account(sys.argv[1]))))`, [other])),
    ]);
    expectSucceeded(results.filter((r) => r !== results.of('rucio scope update (not an administrator)')));
    expect(results.of('rucio scope update (not an administrator)').stderr).toMatch(/denied|AccessDenied/i);
    expect(lastJson(results.of('Client.update_scope'))).toBe(true);
    expect(results.of('rucio scope list --account').stdout).toContain(scopeA);
    expect(results.of('rucio-admin scope list (legacy)').stdout).not.toContain(scopeA);
    expect(results.of('rucio-admin scope list (legacy)').stdout).toContain(w.scope);
    expect(lastJson(results.of('Client.list_scope_owners'))).toEqual([[scopeA, other], [scopeB, other]]);
    expect(lastJson(results.of('Client.list_scopes_for_account'))).toEqual([scopeA, scopeB]);
  }, TIMEOUT);

  it('filters accounts by email, updates, bans and removes them, and re-adds a removed userpass identity with a new password', async () => {
    const alice = `alice-${w.hex}`;
    const service = `svc-${w.hex}`;
    const login = `alice-login-${w.hex}`;
    const [first, second] = [`p1-${randomBytes(6).toString('hex')}`, `p2-${randomBytes(6).toString('hex')}`];
    const [aliceFirst, aliceAgain, aliceSecond] = await Promise.all([
      rucioClient(w.api.url, alice, first, login),
      rucioClient(w.api.url, alice, first, login),
      rucioClient(w.api.url, alice, second, login),
    ]);
    const results = await calls.run([
      calls.call('rucio account add', w.root.step('rucio', ['account', 'add', alice, 'USER', '--email', `Alice.${w.hex}@Lab.Example.org`])),
      calls.call('rucio-admin account add (legacy)', w.root.step('rucio-admin', ['account', 'add', '--type', 'SERVICE', '--email', `ops-${w.hex}@lab.example.org`, service])),
      calls.call('rucio account list --filter email=', w.root.step('rucio', ['account', 'list', '--filter', `email=alice.${w.hex}@lab.example.org`])),
      calls.call('rucio-admin account list --filters email= (legacy)', w.root.step('rucio-admin', ['account', 'list', '--filters', `email=ops-${w.hex}@*`])),
      calls.call('Client.list_accounts(filters=email)', w.user.pythonStep(`${PY}print(json.dumps(sorted(a['account'] for a in Client().list_accounts(account_type='USER', filters={'email': sys.argv[1]}))))`, [`*${w.hex}@lab.example.org`])),
      calls.call('rucio account update --email', w.root.step('rucio', ['account', 'update', alice, '--email', `alice-${w.hex}@observatory.example.org`])),
      calls.call('rucio-admin account update (legacy)', w.root.step('rucio-admin', ['account', 'update', '--account', service, '--key', 'email', '--value', `night-ops-${w.hex}@lab.example.org`])),
      calls.call('rucio account show', w.user.step('rucio', ['account', 'show', alice])),
      calls.call('rucio account identity add', w.root.step('rucio', ['account', 'identity', 'add', alice, '--type', 'USERPASS', '--id', login, '--email', `alice-${w.hex}@observatory.example.org`, '--password', first])),
      calls.call('rucio whoami (new identity)', aliceFirst.step('rucio', ['whoami'])),
      calls.call('rucio account identity list', w.root.step('rucio', ['account', 'identity', 'list', alice])),
      calls.call('rucio account identity remove', w.root.step('rucio', ['account', 'identity', 'remove', alice, '--type', 'USERPASS', '--id', login])),
      calls.call('rucio-admin identity add (legacy, again after removal)', w.root.step('rucio-admin', [
        'identity', 'add', '--account', alice, '--type', 'USERPASS', '--id', login, '--email', `alice-${w.hex}@observatory.example.org`, '--password', second,
      ])),
      calls.call('rucio whoami (old password after re-adding)', aliceAgain.step('rucio', ['whoami']), { fails: true }),
      calls.call('rucio whoami (new password after re-adding)', aliceSecond.step('rucio', ['whoami'])),
      calls.call('rucio-admin account list-identities (legacy)', w.root.step('rucio-admin', ['account', 'list-identities', alice])),
      calls.call('rucio-admin identity delete (legacy)', w.root.step('rucio-admin', ['identity', 'delete', '--account', alice, '--type', 'USERPASS', '--id', login])),
      calls.call('rucio account update --ban', w.root.step('rucio', ['account', 'update', service, '--ban'])),
      calls.call('rucio-admin account unban (legacy)', w.root.step('rucio-admin', ['account', 'unban', '--account', service])),
      calls.call('rucio account attribute set', w.root.step('rucio', ['account', 'attribute', 'set', alice, '--key', 'country', '--value', 'ch'])),
      calls.call('rucio account attribute list', w.root.step('rucio', ['account', 'attribute', 'list', alice])),
      calls.call('rucio account attribute unset', w.root.step('rucio', ['account', 'attribute', 'unset', alice, '--key', 'country'])),
      calls.call('rucio account remove', w.root.step('rucio', ['account', 'remove', service])),
    ]);
    expectSucceeded(results.filter((r) => r !== results.of('rucio whoami (old password after re-adding)')));
    // The email filter matches case-insensitively, with * as a wildcard.
    expect(results.of('rucio account list --filter email=').stdout).toContain(alice);
    expect(results.of('rucio account list --filter email=').stdout).not.toContain(service);
    expect(results.of('rucio-admin account list --filters email= (legacy)').stdout.trim()).toBe(service);
    expect(lastJson(results.of('Client.list_accounts(filters=email)'))).toEqual([alice]);
    expect(results.of('rucio account show').stdout).toContain(`alice-${w.hex}@observatory.example.org`);
    expect(results.of('rucio whoami (new identity)').stdout).toContain(alice);
    expect(results.of('rucio account identity list').stdout).toContain(login);
    expect(results.of('rucio whoami (old password after re-adding)').stderr).toMatch(/CannotAuthenticate|Cannot authenticate/i);
    expect(results.of('rucio whoami (new password after re-adding)').stdout).toContain(alice);
    expect(results.of('rucio-admin account list-identities (legacy)').stdout).toContain(login);
    expect(results.of('rucio account attribute list').stdout).toMatch(/country[\s|│]+ch/);
    const accounts = await w.db.dataSource.query(`SELECT account, status, email FROM accounts WHERE account = ANY($1) ORDER BY account`, [[alice, service]]);
    expect(accounts).toEqual([
      { account: alice, status: 'ACTIVE', email: `alice-${w.hex}@observatory.example.org` },
      { account: service, status: 'DELETED', email: `night-ops-${w.hex}@lab.example.org` },
    ]);
    expect(await w.db.dataSource.query(`SELECT identity FROM identities WHERE identity = $1`, [login])).toEqual([]);
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
