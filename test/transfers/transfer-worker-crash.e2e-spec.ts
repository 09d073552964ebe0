/**
 * The transfer worker process (apps/transfer-worker/src/main.ts, from source in a child process) is killed with
 * SIGKILL while it writes a file: the partial file only ever exists under a temporary name, nothing of it is
 * registered, and once the dead worker's leases expire a restarted worker copies everything; the finisher then
 * makes byte-identical, verified replicas AVAILABLE and the rule OK.
 */
import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { deterministicPath, ReplicaState, RuleState } from '@tarn/domain';
import { createStorage, TEMPORARY_PREFIX, type StorageProtocol } from '@tarn/storage';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { createRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { inconsistencies, sleep } from '../daemons/support/rule-daemons-fixtures.js';
import { makeContents, protocolOf, readAll, ruleState, seedDataset, setConfig, transfersContext, type TransfersContext } from './support/transfer-fixtures.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';

jest.setTimeout(180_000);

const FILES = 8;
const BYTES = 24 * 1024 * 1024;

async function partialFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  return entries.filter((e) => path.basename(e).startsWith(TEMPORARY_PREFIX));
}

describe('transfer worker process killed mid-transfer', () => {
  let t: TransfersContext;
  const children: ChildProcess[] = [];
  const drops: Array<() => Promise<void>> = [];
  const storages: StorageProtocol[] = [];

  function startWorker(): DaemonProcess {
    const started = startDaemonProcess('transfer-worker', t.db.url, {
      TARN_TRANSFER_WORKER_INTERVAL_SECONDS: '0.2',
      TARN_TRANSFER_WORKER_CONCURRENCY: '1',
      TARN_TRANSFER_WORKER_BATCH: '2',
    });
    children.push(started.child);
    return started;
  }

  beforeAll(async () => {
    t = await transfersContext();
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of storages) await s.close();
    for (const d of drops) await d();
    await t?.close();
  });

  it('takes the transfers of a killed worker over after its leases expire; no partial file is registered', async () => {
    await setConfig(t.db.dataSource, 'transfers', 'lease_seconds', 3);
    const source = await createTestDirectory();
    const destination = await createTestDirectory();
    drops.push(source.drop, destination.drop);
    const src = await createRse(t.db.dataSource, { rse: uniqueRseName('SRC'), protocols: [protocolOf(source.protocol)] });
    const dst = await createRse(t.db.dataSource, { rse: uniqueRseName('DST'), protocols: [protocolOf(destination.protocol)] });
    const srcStorage = createStorage(source.protocol);
    const dstStorage = createStorage(destination.protocol);
    storages.push(srcStorage, dstStorage);
    const files = await makeContents(t.scope, 'crash', Array.from({ length: FILES }, () => BYTES));
    const ds = await seedDataset(t, 'crash', files, [{ rse: src, storage: srcStorage }]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, dst.rse));
    await t.submitter.runOnce();
    expect(await t.db.dataSource.query(`SELECT DISTINCT state FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([{ state: 'S' }]);

    // Kill the worker as soon as a file is being written (a temporary name in the destination).
    const first = startWorker();
    const deadline = Date.now() + 60_000;
    let partial: string[] = [];
    while (Date.now() < deadline && first.child.exitCode === null) {
      partial = await partialFiles(destination.root);
      if (partial.length > 0) break;
      await sleep(2);
    }
    expect(partial.length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    await first.exited;

    // The request being written is still SUBMITTED under the dead worker's lease; its final path does not exist.
    const leased = await t.db.dataSource.query(
      `SELECT name, external_host FROM requests WHERE rule_id = $1 AND state = 'S' AND external_host IS NOT NULL ORDER BY name`,
      [ruleId],
    );
    expect(leased.length).toBeGreaterThan(0);
    const done = new Set(
      (await t.db.dataSource.query(`SELECT name FROM requests WHERE rule_id = $1 AND state = 'D'`, [ruleId])).map((r: { name: string }) => r.name),
    );
    expect(done.size).toBeLessThan(FILES);
    for (const f of files) {
      if (!done.has(f.name)) expect(await dstStorage.exists(deterministicPath(f.scope, f.name))).toBe(false);
    }
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM replicas WHERE rse_id = $1 AND state = 'A'`, [dst.id])).toEqual([{ n: 0 }]);

    // Before the lease expires nobody takes them; afterwards a restarted worker does.
    await t.worker.runOnce();
    expect((await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1 AND external_host = $2`, [ruleId, leased[0].external_host]))[0].n).toBe(leased.length);
    await sleep(3_500);
    const second = startWorker();
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      const [{ n }] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1 AND state = 'D'`, [ruleId]);
      if (n === FILES) break;
      await sleep(100);
    }
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await t.db.dataSource.query(`SELECT count(*)::int AS n FROM requests WHERE rule_id = $1 AND state = 'D'`, [ruleId])).toEqual([{ n: FILES }]);

    await t.finisher.runOnce();
    expect(await ruleState(t.db.dataSource, ruleId)).toMatchObject({ state: RuleState.OK, ok: FILES });
    for (const f of files) expect((await readAll(dstStorage, deterministicPath(f.scope, f.name))).equals(f.content)).toBe(true);
    const replicas = await t.db.dataSource.query(`SELECT name, state, adler32 FROM replicas WHERE rse_id = $1 ORDER BY name`, [dst.id]);
    expect(replicas).toEqual(files.map((f) => ({ name: f.name, state: ReplicaState.AVAILABLE, adler32: f.adler32 })));
    // The killed worker's temporary file is never listed as a file of the RSE.
    const listed: string[] = [];
    for await (const entry of dstStorage.list('')) listed.push(entry.path);
    expect(listed.sort()).toEqual(files.map((f) => deterministicPath(f.scope, f.name)).sort());
    expect(await inconsistencies(t.db.dataSource)).toEqual([]);
  });
});
