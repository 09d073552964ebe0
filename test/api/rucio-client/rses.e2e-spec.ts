import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readReplicas } from '@tarn/testing/factories/replica.factory.js';
import { expectSucceeded, lastJson, StockCalls } from '@tarn/testing/stock-calls.js';
import { RSE_CALLS } from './stock-calls.plan.js';
import { stockClientWorld, type StockClientWorld } from './stock-client-setup.js';
import { scopeDirectory } from '@tarn/domain';

const TIMEOUT = 180_000;
const POSIX_DOMAINS = JSON.stringify({ wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } });

/**
 * RSEs through the stock client: lfns2pfns (what a non-deterministic RSE answers to `rucio upload --pfn`), QoS
 * policies (also in expressions), an RSE's own name among its attributes, and the administration commands.
 */
describe('RSEs with the stock Rucio client', () => {
  const calls = new StockCalls(RSE_CALLS);
  let w: StockClientWorld;
  let storage: string;
  let work: string;
  let nonDet: string;

  beforeAll(async () => {
    w = await stockClientWorld();
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-rses-rse-'));
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-rses-work-'));
    fs.writeFileSync(path.join(work, 'tape-1.raw'), randomBytes(2048));
    nonDet = `TAPE_${w.hex.toUpperCase()}`;
  }, TIMEOUT);

  afterAll(async () => {
    await w?.close();
    for (const dir of [storage, work]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('administers RSEs: a non-deterministic one with a posix protocol, settings, limits, distances, attributes', async () => {
    const results = await calls.run([
      calls.call('rucio rse add --non-deterministic', w.root.step('rucio', ['rse', 'add', nonDet, '--non-deterministic'])),
      calls.call('rucio rse protocol add', w.root.step('rucio', [
        'rse', 'protocol', 'add', nonDet, '--hostname', 'localhost', '--scheme', 'file', '--prefix', storage,
        '--impl', 'rucio.rse.protocols.posix.Default', '--domain-json', POSIX_DOMAINS,
      ])),
      calls.call('rucio rse update', w.root.step('rucio', ['rse', 'update', nonDet, '--key', 'availability_delete', '--value', 'False'])),
      calls.call('rucio rse limit set', w.root.step('rucio', ['rse', 'limit', 'set', nonDet, '--limit', 'MinFreeSpace', '1000000'])),
      calls.call('rucio rse limit unset', w.root.step('rucio', ['rse', 'limit', 'unset', nonDet, '--limit', 'MinFreeSpace'])),
      calls.call('rucio rse distance set', w.root.step('rucio', ['rse', 'distance', 'set', w.siteA.rse, nonDet, '--distance', '3', '--bidirectional'])),
      calls.call('rucio rse distance show', w.root.step('rucio', ['rse', 'distance', 'show', nonDet, w.siteA.rse])),
      calls.call('rucio rse distance unset', w.root.step('rucio', ['rse', 'distance', 'unset', nonDet, w.siteA.rse])),
      calls.call('rucio rse attribute set', w.root.step('rucio', ['rse', 'attribute', 'set', nonDet, '--key', 'tier', '--value', '1'])),
      calls.call('rucio rse attribute list', w.root.step('rucio', ['rse', 'attribute', 'list', nonDet])),
      calls.call('rucio list-rse-attributes (legacy)', w.user.step('rucio', ['list-rse-attributes', w.siteA.rse])),
      calls.call('rucio rse attribute unset', w.root.step('rucio', ['rse', 'attribute', 'unset', nonDet, '--attribute', 'tier'])),
      calls.call('rucio rse show', w.user.step('rucio', ['rse', 'show', nonDet])),
      calls.call('rucio-admin rse info (legacy)', w.root.step('rucio-admin', ['rse', 'info', w.siteB.rse])),
      calls.call('rucio-admin rse list (legacy)', w.root.step('rucio-admin', ['rse', 'list'])),
      calls.call('rucio list-rses --rses (legacy)', w.user.step('rucio', ['list-rses', '--rses', 'QOS=SAFE'])),
      calls.call('rucio list-rse-usage (legacy)', w.user.step('rucio', ['list-rse-usage', w.siteA.rse])),
    ]);
    expectSucceeded(results);
    const [rse] = await w.db.dataSource.query(`SELECT deterministic, availability_delete FROM rses WHERE rse = $1`, [nonDet]);
    expect(rse).toEqual({ deterministic: false, availability_delete: false });
    expect(results.of('rucio rse distance show').stdout).toMatch(/3/);
    // Rucio lists an RSE's own name among its attributes (every RSE is selectable by name).
    expect(results.of('rucio rse attribute list').stdout).toMatch(new RegExp(`${nonDet}[\\s:|│]+True`));
    expect(results.of('rucio list-rse-attributes (legacy)').stdout).toMatch(new RegExp(`${w.siteA.rse}[\\s:|│]+True`));
    expect(results.of('rucio list-rses --rses (legacy)').stdout.trim()).toBe(w.siteA.rse);
  }, TIMEOUT);

  it('answers lfns2pfns: computed on a deterministic RSE, the stored path on a non-deterministic one', async () => {
    // The account writes at a PFN of its choosing: the RSE lets it, under its scope's directory.
    const area = scopeDirectory(w.scope);
    await w.db.dataSource.query(`INSERT INTO rse_attributes (rse_id, key, value) SELECT id, 'allow_user_paths', 'true'::jsonb FROM rses WHERE rse = $1`, [nonDet]);
    const pfn = `file://localhost${storage}/${area}run/4711/tape-1.raw`;
    const uploaded = await calls.run([
      calls.call('rucio upload --pfn (non-deterministic RSE)', w.user.step('rucio', ['upload', '--rse', nonDet, '--scope', w.scope, '--pfn', pfn, path.join(work, 'tape-1.raw')])),
    ]);
    expectSucceeded(uploaded);
    expect(fs.readFileSync(path.join(storage, `${area}run/4711/tape-1.raw`)).equals(fs.readFileSync(path.join(work, 'tape-1.raw')))).toBe(true);
    const [replica] = await readReplicas(w.db.dataSource, w.scope, 'tape-1.raw');
    expect(replica.path).toBe(`${area}run/4711/tape-1.raw`);

    const results = await calls.run([
      calls.call(
        'Client.lfns2pfns',
        w.user.pythonStep(
          `import json, sys
from rucio.client import Client
c = Client()
scope, nd, det = sys.argv[1:]
print(json.dumps({
  'nondet': c.lfns2pfns(nd, [scope + ':tape-1.raw', scope + ':never-registered']),
  'det': c.lfns2pfns(det, [scope + ':night.1'], operation='read', scheme='davs'),
  'explicit': c.lfns2pfns(nd, [scope + ':other.raw:a/b/other.raw']),
}))`,
          [w.scope, nonDet, w.siteA.rse],
        ),
      ),
      calls.call('Client.lfns2pfns (no such scheme)', w.user.pythonStep(`import sys\nfrom rucio.client import Client\nClient().lfns2pfns(sys.argv[1], ['a:b'], scheme='root')`, [w.siteA.rse]), { fails: true }),
    ]);
    const answers = lastJson(results.of('Client.lfns2pfns'));
    expect(answers.nondet).toEqual({ [`${w.scope}:tape-1.raw`]: `file://localhost${storage}/${area}run/4711/tape-1.raw` });
    expect(answers.det[`${w.scope}:night.1`]).toMatch(new RegExp(`^davs://site-a-${w.hex}\\.example\\.org:443/tarn/data/user/jdoe${w.hex}/[0-9a-f]{2}/[0-9a-f]{2}/night\\.1$`));
    expect(answers.explicit).toEqual({ [`${w.scope}:other.raw`]: `file://localhost${storage}/a/b/other.raw` });
    expect(results.of('Client.lfns2pfns (no such scheme)').stderr).toContain('RSEProtocolNotSupported');
  }, TIMEOUT);

  it('keeps QoS policies per RSE and selects RSEs by them', async () => {
    const results = await calls.run([
      calls.call('rucio rse qos add', w.root.step('rucio', ['rse', 'qos', 'add', w.siteB.rse, '--policy', 'FAST'])),
      calls.call('rucio-admin rse add-qos-policy (legacy)', w.root.step('rucio-admin', ['rse', 'add-qos-policy', w.siteB.rse, 'CHEAP-ANALYSIS'])),
      calls.call('rucio rse qos add (not an administrator)', w.user.step('rucio', ['rse', 'qos', 'add', w.siteA.rse, '--policy', 'FAST']), { fails: true }),
      calls.call('rucio rse qos list', w.user.step('rucio', ['rse', 'qos', 'list', w.siteB.rse])),
      calls.call('rucio rse list --rses qos_policy=', w.user.step('rucio', ['rse', 'list', '--rses', 'qos_policy=FAST'])),
      calls.call('rucio-admin rse delete-qos-policy (legacy)', w.root.step('rucio-admin', ['rse', 'delete-qos-policy', w.siteB.rse, 'CHEAP-ANALYSIS'])),
      calls.call('Client.list_qos_policies', w.user.pythonStep(`import json, sys\nfrom rucio.client import Client\nprint(json.dumps(Client().list_qos_policies(sys.argv[1])))`, [w.siteB.rse])),
      calls.call('rucio rse qos remove', w.root.step('rucio', ['rse', 'qos', 'remove', w.siteB.rse, '--policy', 'FAST'])),
      calls.call('rucio-admin rse list-qos-policies (legacy)', w.root.step('rucio-admin', ['rse', 'list-qos-policies', w.siteB.rse])),
    ]);
    expect(results.of('rucio rse qos add').code).toBe(0);
    expect(results.of('rucio rse qos add (not an administrator)').stderr).toContain('Access to the requested resource denied');
    expect(results.of('rucio rse qos list').stdout).toContain('CHEAP-ANALYSIS');
    expect(results.of('rucio rse list --rses qos_policy=').stdout.trim()).toBe(w.siteB.rse);
    expect(lastJson(results.of('Client.list_qos_policies'))).toEqual(['FAST']);
    expect(results.of('rucio-admin rse list-qos-policies (legacy)').stdout).not.toContain('FAST');
  }, TIMEOUT);

  it('covered every planned call', () => {
    expect(calls.uncovered()).toEqual([]);
  });
});
