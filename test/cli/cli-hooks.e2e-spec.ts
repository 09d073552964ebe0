/**
 * `tarn hook` and `tarn subscription` against all of Tarn (embedded mode, ingester and transmogrifier running):
 * tables and --json, one-line errors with their exit codes, and the runs and rules the daemons make.
 */
import { jest } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@tarn/testing/database.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { createTestDirectory } from '@tarn/testing/storage.js';
import { startTestTarn, type TestTarn } from '@tarn/testing/tarn.js';
import { formatRuleTemplate, parseRuleTemplateArg } from '../../apps/cli/src/commands/hook.command.js';
import { CliUser } from './cli-harness.js';

jest.setTimeout(120_000);

describe('tarn hook and tarn subscription', () => {
  let db: TestDatabase;
  let tarn: TestTarn;
  let admin: CliUser;
  let user: CliUser;
  let daq: { root: string; drop(): Promise<void> };
  let vault: { root: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await createTestDatabase();
    tarn = await startTestTarn(db, 'embedded', { TARN_INGESTER_INTERVAL_SECONDS: '1', TARN_TRANSMOGRIFIER_INTERVAL_SECONDS: '1' });
    await createAccount(db.dataSource, { account: 'ops', admin: true, password: 'ops-secret' });
    await createAccount(db.dataSource, { account: 'jdoe', password: 'jdoe-secret' });
    admin = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'ops', TARN_PASSWORD: 'ops-secret' });
    user = new CliUser({ TARN_URL: tarn.url, TARN_ACCOUNT: 'jdoe', TARN_PASSWORD: 'jdoe-secret' });
    daq = await createTestDirectory();
    vault = await createTestDirectory();
    await admin.ok(['rse', 'add', 'DAQ', '--non-deterministic']);
    await admin.ok(['rse', 'add-protocol', 'DAQ', '--scheme', 'file', '--prefix', daq.root]);
    // jdoe's hooks register the files where the DAQ wrote them, under user/jdoe/ (the scope's directory).
    await admin.ok(['rse', 'set-attr', 'DAQ', 'allow_user_paths', 'true']);
    await admin.ok(['rse', 'add', 'VAULT']);
    await admin.ok(['rse', 'add-protocol', 'VAULT', '--scheme', 'file', '--prefix', vault.root]);
    await admin.ok(['rse', 'set-attr', 'VAULT', 'QOS', 'SAFE']);
    await admin.ok(['scope', 'add', 'user.jdoe', '--owner', 'jdoe']);
    mkdirSync(join(daq.root, 'user/jdoe/incoming/2026-11-21'), { recursive: true });
    for (const f of ['frame_1.dat', 'frame_2.dat']) writeFileSync(join(daq.root, 'user/jdoe/incoming/2026-11-21', f), `bytes of ${f}`);
  });

  afterAll(async () => {
    admin?.drop();
    user?.drop();
    await tarn?.close();
    await daq?.drop();
    await vault?.drop();
    await db?.drop();
  });

  it('parses rule templates: COPIES@EXPRESSION~LIFETIME or JSON', () => {
    expect(parseRuleTemplateArg('2@QOS=SAFE~1d')).toEqual({ copies: 2, rse_expression: 'QOS=SAFE', lifetime: 86400 });
    expect(parseRuleTemplateArg('tier=1&country=DE')).toEqual({ copies: 1, rse_expression: 'tier=1&country=DE' });
    expect(parseRuleTemplateArg('{"copies": 1, "rse_expression": "A|B", "grouping": "ALL"}')).toEqual({ copies: 1, rse_expression: 'A|B', grouping: 'ALL' });
    expect(() => parseRuleTemplateArg('0@QOS=SAFE')).toThrow(/at least 1/);
    expect(() => parseRuleTemplateArg('QOS=SAFE~soon')).toThrow(/not a duration/);
    expect(() => parseRuleTemplateArg('{nope')).toThrow(/not valid JSON/);
    expect(formatRuleTemplate({ copies: 2, rseExpression: 'QOS=SAFE', lifetime: 60, grouping: 'ALL' })).toBe('2@QOS=SAFE~60s (grouping=ALL)');
  });

  describe('tarn hook', () => {
    it('adds a zero-copy hook and lists and shows it (table and --json)', async () => {
      const added = await user.run([
        'hook', 'add', 'daq-nightly', '--schedule', '0 2 * * *', '--timezone', 'Europe/Berlin',
        '--source-rse', 'DAQ', '--prefix', 'user/jdoe/incoming', '--glob', '**/*.dat',
        '--scope', 'user.jdoe', '--did-name', 'daq.{night}.{stem}', '--dataset', 'daq.{night}', '--pattern', '^(?<night>[0-9-]+)/',
        '--meta', 'instrument=cam1', '--rule', '1@QOS=SAFE~30d', '--comment', 'DAQ frames',
      ]);
      expect(added).toMatchObject({ code: 0, stdout: '' });
      expect(added.stderr).toMatch(/^Created hook daq-nightly; next run 20\d\d-/);

      const table = await user.ok(['hook', 'list']);
      expect(table.split('\n')[0]).toMatch(/^NAME +ACCOUNT +SCHEDULE +SOURCE +TARGET +RULES +ENABLED +NEXT RUN +LAST SUCCESS$/);
      expect(table).toMatch(/daq-nightly +jdoe +0 2 \* \* \* Europe\/Berlin +DAQ:user\/jdoe\/incoming \(\*\*\/\*\.dat\) +user\.jdoe:daq\.\{night\}\.\{stem\} in user\.jdoe:daq\.\{night\} @ DAQ +1@QOS=SAFE~2592000s +true/);
      const [listed] = await user.json(['hook', 'list']);
      expect(listed).toMatchObject({ name: 'daq-nightly', account: 'jdoe', checksum: 'registrar', target: { meta: { instrument: 'cam1' } } });

      const shown = await user.ok(['hook', 'show', 'daq-nightly']);
      expect(shown).toContain('hook:          daq-nightly\n');
      expect(shown).toContain('schedule:      0 2 * * * (Europe/Berlin)');
      expect(shown).toContain('pattern:       ^(?<night>[0-9-]+)/');
      expect(shown).toContain('metadata:      instrument=cam1');
      expect(shown).toContain('comment:       DAQ frames');
      const json = await user.json(['hook', 'show', 'daq-nightly']);
      expect(json).toMatchObject({ name: 'daq-nightly', files: {}, runs: [] });
    });

    it('answers errors in one line with their exit codes', async () => {
      const usage = await user.run(['hook', 'add', 'x', '--source-rse', 'DAQ', '--scope', 'user.jdoe']);
      expect(usage).toMatchObject({ code: 2, stderr: "tarn: Hook 'x' needs --schedule, e.g. '0 2 * * *'.\n" });
      const cron = await user.run(['hook', 'add', 'x', '--schedule', '61 2 * * *', '--source-rse', 'DAQ', '--scope', 'user.jdoe']);
      expect(cron.code).toBe(2);
      expect(cron.stderr).toMatch(/^tarn: Creating hook 'x': .*invalid schedule '61 2 \* \* \*'.*\[InputValidationError\]\n$/);
      const duplicate = await user.run(['hook', 'add', 'daq-nightly', '--schedule', '0 3 * * *', '--source-rse', 'DAQ', '--prefix', 'user/jdoe/incoming', '--scope', 'user.jdoe']);
      expect(duplicate.code).toBe(5);
      expect((await user.run(['hook', 'show', 'nope'])).code).toBe(4);
      const dropbox = await user.run(['hook', 'add', 'box', '--schedule', '0 3 * * *', '--dropbox', '/tmp', '--scope', 'user.jdoe', '--rse', 'VAULT']);
      expect(dropbox.code).toBe(3);
      expect(dropbox.stderr.split('\n')).toHaveLength(2);
      expect((await user.run(['hook', 'add', 'x', '--schedule', '0 2 * * *', '--source-rse', 'DAQ', '--dropbox', '/tmp', '--scope', 'user.jdoe'])).code).toBe(2);
      expect((await user.run(['hook', 'update', 'daq-nightly'])).code).toBe(2);
    });

    it('updates a hook; a disabled hook does not run', async () => {
      await user.ok(['hook', 'update', 'daq-nightly', '--disable', '--glob', '**/frame_*.dat']);
      const updated = await user.json(['hook', 'show', 'daq-nightly']);
      expect(updated).toMatchObject({ enabled: false, source: { kind: 'rse', rse: 'DAQ', prefix: 'user/jdoe/incoming', glob: '**/frame_*.dat' }, schedule: '0 2 * * *', comment: 'DAQ frames' });
      expect(updated.rules).toHaveLength(1);
      const refused = await user.run(['hook', 'run', 'daq-nightly']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/disabled: enable it first/);
      await user.ok(['hook', 'update', 'daq-nightly', '--enable']);
    });

    it('runs a hook now and waits for the run; runs lists it, and one run shows its counts', async () => {
      const run = await user.json(['hook', 'run', 'daq-nightly', '--wait', '30s', '--interval', '0.2']);
      expect(run).toMatchObject({ hook: 'daq-nightly', trigger: 'MANUAL', state: 'DONE', filesListed: 2, filesRegistered: 2, datasetsCreated: 1, rulesCreated: 1 });
      const files = await user.json(['did', 'list', 'user.jdoe:daq.2026-11-21', '--recursive']);
      expect(files.map((f: { name: string }) => f.name).sort()).toEqual(['daq.2026-11-21.frame_1', 'daq.2026-11-21.frame_2']);

      const runs = await user.ok(['hook', 'runs', 'daq-nightly']);
      expect(runs.split('\n')[0]).toMatch(/^RUN +TRIGGER +STATE +STARTED +LISTED +REGISTERED +SKIPPED +FAILED +SIZE +DATASETS +RULES +ERRORS$/);
      expect(runs).toMatch(new RegExp(`${run.id} +MANUAL +DONE +\\S+ +2 +2 +0 +0 +\\d+ B +1 +1`));
      const one = await user.ok(['hook', 'runs', 'daq-nightly', run.id]);
      expect(one).toContain(`run:         ${run.id} of hook daq-nightly (MANUAL)`);
      expect(one).toContain('files:       listed 2, registered 2');
      const shown = await user.ok(['hook', 'show', 'daq-nightly']);
      expect(shown).toMatch(/files: +in progress 0, registered 0, done 2/);
    });

    it('exits 1 when a run had files that failed, naming the first', async () => {
      mkdirSync(join(daq.root, 'user/jdoe/incoming/not-a-night'), { recursive: true });
      writeFileSync(join(daq.root, 'user/jdoe/incoming/not-a-night/frame_9.dat'), 'stray');
      await user.ok(['hook', 'update', 'daq-nightly', '--pattern', '^(?<night>\\d{4}-\\d{2}-\\d{2})/']);
      const failed = await user.run(['hook', 'run', 'daq-nightly', '--wait', '30s', '--interval', '0.2']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/files: +listed 3, registered 0 \(0 B\), skipped 2, failed 1/);
      expect(failed.stderr).toMatch(/^tarn: Run \S+ of hook 'daq-nightly': 1 file\(s\) failed, e\.g\. not-a-night\/frame_9\.dat: .*does not match the pattern/);
    });

    it('renames, removes the rules of, and deletes a hook', async () => {
      await user.ok(['hook', 'update', 'daq-nightly', '--new-name', 'daq-2', '--no-rules']);
      expect((await user.run(['hook', 'show', 'daq-nightly'])).code).toBe(4);
      expect((await user.json(['hook', 'show', 'daq-2'])).rules).toEqual([]);
      const deleted = await user.run(['hook', 'delete', 'daq-2']);
      expect(deleted).toMatchObject({ code: 0, stderr: 'Deleted hook daq-2.\n' });
      expect(await user.json(['hook', 'list'])).toEqual([]);
      expect((await user.run(['hook', 'list'])).stderr).toBe('(none)\n');
    });
  });

  describe('tarn subscription', () => {
    it('adds, lists and shows a subscription; the transmogrifier gives matching new DIDs its rules', async () => {
      const id = (await user.ok(['subscription', 'add', 'raw', '--scope', 'user.jdoe', '--meta', 'datatype=RAW', '--meta', 'datatype=DARK', '--rule', '1@QOS=SAFE~7d', '--comment', 'raw frames', '--lifetime', '30d'])).trim();
      expect(id).toMatch(/^[0-9a-f-]{32,36}$/);
      const table = await user.ok(['subscription', 'list']);
      expect(table.split('\n')[0]).toMatch(/^ACCOUNT +NAME +STATE +FILTER +RULES +LAST PROCESSED +EXPIRES$/);
      expect(table).toMatch(/jdoe +raw +ACTIVE +scope=user\.jdoe, datatype=RAW\|DARK +1@QOS=SAFE~604800s/);
      const [listed] = await user.json(['subscription', 'list']);
      expect(listed).toMatchObject({ id, filter: { scope: ['user.jdoe'], datatype: ['RAW', 'DARK'] }, replication_rules: [{ copies: 1, rse_expression: 'QOS=SAFE', lifetime: 604800 }] });
      expect(Math.abs(Date.parse(listed.expired_at) - Date.now() - 30 * 86_400_000)).toBeLessThan(120_000);
      expect(await admin.json(['subscription', 'list'])).toEqual([]);
      expect((await admin.json(['subscription', 'list', '--owner', 'jdoe'])).map((s: { name: string }) => s.name)).toEqual(['raw']);
      expect((await admin.json(['subscription', 'list', '--all', '--name', 'raw'])).map((s: { account: string }) => s.account)).toEqual(['jdoe']);

      await user.ok(['did', 'add', 'user.jdoe:night-7', '--type', 'dataset', '--meta', 'datatype=DARK']);
      await user.ok(['did', 'add', 'user.jdoe:night-8', '--type', 'dataset', '--meta', 'datatype=FLAT']);
      const deadline = Date.now() + 20_000;
      let rules: Array<Record<string, any>> = [];
      while (rules.length === 0 && Date.now() < deadline) {
        rules = await user.json(['subscription', 'rules', 'raw']);
        if (rules.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(rules.map((r) => [r.name, r.rse_expression])).toEqual([['night-7', 'QOS=SAFE']]);
      const shown = await user.ok(['subscription', 'show', 'raw']);
      expect(shown).toContain('filter:        scope=user.jdoe, datatype=RAW|DARK');
      expect(shown).toContain('comment:       raw frames');
      expect(shown).toMatch(/\n\S+ +user\.jdoe:night-7 +\w+\[\d+\/\d+\/\d+\] +QOS=SAFE +1 /);
    });

    it('updates and deletes a subscription; errors in one line with exit codes', async () => {
      await user.ok(['subscription', 'update', 'raw', '--state', 'inactive']);
      expect((await user.json(['subscription', 'show', 'raw'])).state).toBe('INACTIVE');
      await user.ok(['subscription', 'update', 'raw', '--filter', '{"scope": ["user.jdoe"], "datatype": ["RAW"]}', '--rule', '2@QOS=SAFE']);
      const updated = await user.json(['subscription', 'show', 'raw']);
      expect(updated).toMatchObject({ state: 'INACTIVE', filter: { scope: ['user.jdoe'], datatype: ['RAW'] }, replication_rules: [{ copies: 2, rse_expression: 'QOS=SAFE' }] });

      expect(await user.run(['subscription', 'add', 'norule', '--scope', 'user.jdoe'])).toMatchObject({ code: 2, stderr: "tarn: Subscription 'norule' needs at least one --rule, e.g. --rule 2@QOS=SAFE.\n" });
      const duplicate = await user.run(['subscription', 'add', 'raw', '--rule', 'QOS=SAFE']);
      expect(duplicate.code).toBe(5);
      expect(duplicate.stderr).toMatch(/\[SubscriptionDuplicate\]\n$/);
      expect((await user.run(['subscription', 'add', 'bad', '--rule', 'QOS=NOWHERE'])).code).toBe(2);
      expect((await user.run(['subscription', 'add', 'bad', '--rule', 'QOS=SAFE', '--filter', '[1]'])).code).toBe(2);
      expect((await user.run(['subscription', 'add', 'mine', '--rule', 'QOS=SAFE', '--owner', 'ops'])).code).toBe(3);
      expect((await user.run(['subscription', 'show', 'nope'])).code).toBe(4);
      expect((await user.run(['subscription', 'update', 'raw'])).code).toBe(2);

      expect(await user.run(['subscription', 'delete', 'raw'])).toMatchObject({ code: 0, stderr: 'Deleted subscription raw of jdoe.\n' });
      expect((await user.run(['subscription', 'delete', 'raw'])).code).toBe(4);
      expect(await user.json(['subscription', 'list'])).toEqual([]);
    });
  });
});
