import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createContainer, createDataset, createFiles } from '@tarn/testing/factories/did.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { LIFETIME_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';

const TIMEOUT = 180_000;
const PY = 'import json, sys\nfrom rucio.client import Client\n';

/** Lifetime exceptions through the stock client: asked for by a user, approved by an administrator, listed. */
describe('lifetime exceptions with the stock Rucio client', () => {
  const calls = new StockCalls(LIFETIME_CALLS);
  let w: StockClientWorld;
  let work: string;

  beforeAll(async () => {
    w = await stockClientWorld();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-lifetime-'));
    // The lifetime-exception command is not among the CLI's default commands: a site enables it in rucio.cfg.
    fs.appendFileSync(w.user.configPath, '\n[cli]\nendpoints_add = lifetime-exception\n');
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('takes a list of DIDs from rucio lifetime-exception add: files ignored, containers resolved, DIDs without a lifetime left out', async () => {
    const ds = w.db.dataSource;
    const account = w.userAccount;
    const [file] = await createFiles(ds, { scope: w.scope, account, count: 1, prefix: 'raw', bytes: 10 });
    const names = ['night-1', 'night-2', 'night-3', 'forever'];
    for (const name of names) await createDataset(ds, { scope: w.scope, account, name, files: 1 });
    await ds.query(`UPDATE dids SET expired_at = now() + interval '2 days' WHERE scope = $1 AND name IN ('night-1', 'night-2', 'night-3')`, [w.scope]);
    await createContainer(ds, { scope: w.scope, account, name: 'week-49', children: ['night-2', 'night-3'].map((name) => ({ scope: w.scope, name })) });
    const list = path.join(work, 'dids.txt');
    fs.writeFileSync(list, ['night-1', 'week-49', file.name, 'forever', 'no-such-dataset'].map((n) => `${w.scope}:${n}`).join('\n') + '\n');

    const results = await calls.run([
      calls.call('rucio lifetime-exception add', w.user.step('rucio', ['lifetime-exception', 'add', '-f', list, '--reason', 'reprocessing in January', '-x', '2027-02-01'])),
      calls.call('Client.list_exceptions', w.user.pythonStep(`${PY}print(json.dumps([[e['scope'], e['name'], e['did_type'], e['state'], e['account'], e['comments'], str(e['expires_at'])] for e in Client().list_exceptions()]))`)),
    ]);
    expectSucceeded(results);
    const summary = results.of('rucio lifetime-exception add').stdout;
    expect(summary).toMatch(/Total DIDs\s+5/);
    expect(summary).toMatch(/DID not submitted because it is a file\s+1/);
    expect(summary).toMatch(/DID that are containers and were resolved\s+1/);
    expect(summary).toMatch(/DID not submitted because it is not part of the lifetime campaign\s+1/);
    expect(summary).toMatch(/DID successfully submitted including the one from containers resolved\s+3/);
    const listed = lastJson<string[][]>(results.of('Client.list_exceptions'));
    expect(listed.map((e) => e[1]).sort()).toEqual(['night-1', 'night-2', 'night-3']);
    for (const e of listed) expect(e).toEqual([w.scope, e[1], 'DATASET', 'WAITING', account, 'reprocessing in January', '2027-02-01 00:00:00']);
  }, TIMEOUT);

  it('answers add_exception with the new exceptions, the unknown and unaffected DIDs; an approval shows in the listing', async () => {
    const results = await calls.run([
      calls.call('Client.add_exception', w.user.pythonStep(
        `${PY}from datetime import datetime, timedelta\n` +
          `r = Client().add_exception(dids=[{'scope': sys.argv[1], 'name': 'night-1'}, {'scope': sys.argv[1], 'name': 'forever'}, {'scope': sys.argv[1], 'name': 'gone'}], ` +
          `account=sys.argv[2], pattern='', comments='calibration', expires_at=datetime.utcnow() + timedelta(days=7))\nprint(json.dumps(r))`,
        [w.scope, w.userAccount],
      )),
    ]);
    expectSucceeded(results);
    const answer = lastJson(results.of('Client.add_exception'));
    const [[id, dids]] = Object.entries(answer.exceptions) as [string, unknown[]][];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(dids).toEqual([{ scope: w.scope, name: 'night-1', did_type: 'DATASET' }]);
    expect(answer.not_affected).toEqual([{ scope: w.scope, name: 'forever', did_type: 'DATASET' }]);
    expect(answer.unknown).toEqual([{ scope: w.scope, name: 'gone', did_type: 'DATASET' }]);

    const token = await w.token('root');
    const decide = (as: string, state: string) =>
      fetch(`${w.api.url}/lifetime_exceptions/${id}`, { method: 'PUT', headers: { 'X-Rucio-Auth-Token': as, 'Content-Type': 'application/json' }, body: JSON.stringify({ state }) });
    expect((await decide(await w.token(w.userAccount), 'APPROVED')).status).toBe(401);
    const approved = await decide(token, 'APPROVED');
    expect([approved.status, await approved.text()]).toEqual([201, 'Created']);

    const listed = await calls.run([
      calls.call('Client.list_exceptions(exception_id)', w.user.pythonStep(`${PY}print(json.dumps([[e['id'], e['name'], e['state'], e['comments']] for e in Client().list_exceptions(exception_id=sys.argv[1])]))`, [id])),
      calls.call('Client.list_exceptions (no such exception)', w.user.pythonStep(`${PY}list(Client().list_exceptions(exception_id='0123456789abcdef0123456789abcdef'))`), { fails: true }),
    ]);
    expect(lastJson(listed.of('Client.list_exceptions(exception_id)'))).toEqual([[id, 'night-1', 'APPROVED', 'calibration']]);
    expect(listed.of('Client.list_exceptions (no such exception)').stderr).toContain('LifetimeExceptionNotFound');
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
