/**
 * The finisher's safety net: transfers whose lock is gone by a way that did not cancel them (deleting or
 * re-evaluating a rule cancels its own) are cancelled by its sweep, and what they wrote is removed.
 */
import { deterministicPath } from '@tarn/domain';
import { createStorage, type StorageProtocol } from '@tarn/storage';
import { createRse, uniqueRseName } from '@tarn/testing/factories/rse.factory.js';
import { ruleSpec } from '@tarn/testing/factories/rule.factory.js';
import { createTestDirectory, type TestStorageArea } from '@tarn/testing/storage.js';
import { CANCELLED_REASON } from '@tarn/core/transfers/transfer-finisher.service.js';
import { makeContents, protocolOf, seedDataset, transfersContext, type TransfersContext } from './support/transfer-fixtures.js';

describe('transfers no lock needs', () => {
  let t: TransfersContext;
  const areas: TestStorageArea[] = [];
  const storages: StorageProtocol[] = [];

  afterAll(async () => {
    for (const s of storages) await s.close().catch(() => undefined);
    for (const a of areas) await a.drop().catch(() => undefined);
    await t?.close();
  });

  it('are cancelled by the finisher\'s sweep, their history says why, and the copies they wrote are removed', async () => {
    t = await transfersContext();
    const rseOn = async (area: TestStorageArea) => {
      areas.push(area);
      const storage = createStorage(area.protocol);
      storages.push(storage);
      return { rse: await createRse(t.db.dataSource, { rse: uniqueRseName('UN'), protocols: [protocolOf(area.protocol)] }), storage };
    };
    const [source, target] = [await rseOn(await createTestDirectory()), await rseOn(await createTestDirectory())];
    const files = await makeContents(t.scope, 'unneeded', [100, 200, 300]);
    const ds = await seedDataset(t, 'unneeded', files, [source]);
    const [ruleId] = await t.rules.addRules(t.user.issuer, ruleSpec(ds, target.rse.rse));
    await t.submitter.runOnce();
    await t.worker.runOnce();
    const paths = files.map((f) => deterministicPath(f.scope, f.name));
    for (const p of paths) expect(await target.storage.exists(p)).toBe(true);

    // The locks of two files go behind the transfers' backs; the third stays needed.
    const gone = files.slice(0, 2).map((f) => f.name);
    await t.db.dataSource.query(`DELETE FROM locks WHERE rule_id = $1 AND name = ANY($2)`, [ruleId, gone]);
    await t.finisher.runOnce();

    const history = await t.db.dataSource.query(`SELECT name, state, err_msg FROM requests_history WHERE rule_id = $1 ORDER BY name`, [ruleId]);
    expect(history).toEqual([
      ...gone.map((name) => ({ name, state: 'F', err_msg: CANCELLED_REASON })),
      { name: files[2].name, state: 'D', err_msg: null },
    ]);
    expect(await t.db.dataSource.query(`SELECT name FROM requests WHERE rule_id = $1`, [ruleId])).toEqual([]);
    expect([await target.storage.exists(paths[0]), await target.storage.exists(paths[1]), await target.storage.exists(paths[2])]).toEqual([false, false, true]);
  });
});
