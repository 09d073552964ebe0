/**
 * The web UI in a real browser (Debian's Chromium, driven by playwright-core) against all of Tarn, built from its
 * sources with Vite and served by the API process at /ui, with one daemon running as an OS process of its own:
 * log in (with a password, and through a real OpenID provider); create a rule with the RSE expression's live preview and watch it go from REPLICATING to OK; approve a
 * rule; kill the daemon's process and see it turn red; a non-administrator sees no administrator action; axe-core
 * finds no serious accessibility violation on any page. Screenshots of each page go to TARN_UI_SCREENSHOTS
 * (docs/ui with `npm run docs:screenshots`), else to a temporary directory.
 */
import { jest } from '@jest/globals';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { buildWebUi, launchChromium } from '@tarn/testing/browser.js';
import { startDaemonProcess, type DaemonProcess } from '@tarn/testing/daemon-process.js';
import { createAccount } from '@tarn/testing/factories/account.factory.js';
import { TestOpenIdProvider } from '@tarn/testing/openid-provider.js';
import { REPO_ROOT } from '@tarn/testing/repo-root.js';
import { CliUser } from '../cli/cli-harness.js';
import { type Row, type Scenario, startScenario, waitFor } from '../scenarios/support/scenario.js';

jest.setTimeout(180_000);

const JDOE = { account: 'jdoe', password: 'jdoe-ui-secret' };
const ADMIN_PASSWORD = 'ops-ui-secret';
/** The daemon run as a process of its own beats every 2 s, so it is dead 6 s after it stops. */
const KILLED_DAEMON = 'undertaker';
/** A file on the S3 RSE, downloaded through a presigned URL. */
const S3_BYTES = Buffer.from('calibration constants, night of 2026-11-21\n'.repeat(64));

describe('web UI in Chromium', () => {
  let s: Scenario;
  let web: { dir: string; drop(): void };
  let browser: Browser;
  let daemon: DaemonProcess;
  let jdoeCli: CliUser;
  let admin: { context: BrowserContext; page: Page };
  let approvalRule: string;
  let provider: TestOpenIdProvider;
  const shots = process.env.TARN_UI_SCREENSHOTS ? resolve(REPO_ROOT, process.env.TARN_UI_SCREENSHOTS) : mkdtempSync(join(tmpdir(), 'tarn-ui-shots-'));

  async function logIn(account: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${s.tarn.url}/ui/`);
    await page.getByLabel('Username', { exact: true }).fill(account);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    return { context, page };
  }

  async function axe(page: Page, what: string): Promise<void> {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect({ page: what, violations: serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`) }).toEqual({ page: what, violations: [] });
  }

  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  const ruleState = (page: Page) => page.getByTestId('rule-state');
  /** The colour the browser paints an element's background in. */
  const backgroundOf = (locator: Locator) =>
    locator.evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor);

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    [web, provider] = await Promise.all([buildWebUi(), TestOpenIdProvider.start({ users: [{ sub: 'sub-jdoe', username: 'jdoe', password: 'jdoe-idp-secret' }] })]);
    s = await startScenario('embedded', { TARN_UI_DIR: web.dir, ...provider.tarnEnv() });
    browser = await launchChromium();
    await provider.setWebRedirectUris([`${s.tarn.url}/auth/oidc/callback`]);
    await createAccount(s.db.dataSource, { account: JDOE.account, password: JDOE.password });
    await createAccount(s.db.dataSource, { account: 'opsui', admin: true, password: ADMIN_PASSWORD });
    // jdoe's identity at the provider acts as jdoe, and as the service account of the experiment's pipeline.
    await createAccount(s.db.dataSource, { account: 'pipeline' });
    const adminLogin = await fetch(`${s.tarn.url}/auth/userpass`, { headers: { 'X-Rucio-Account': 'opsui', 'X-Rucio-Username': 'opsui', 'X-Rucio-Password': ADMIN_PASSWORD } });
    for (const account of [JDOE.account, 'pipeline']) {
      const mapped = await fetch(`${s.tarn.url}/accounts/${account}/identities`, {
        method: 'POST',
        headers: { 'X-Rucio-Auth-Token': adminLogin.headers.get('x-rucio-auth-token')!, 'Content-Type': 'application/json' },
        body: JSON.stringify({ identity: `SUB=sub-jdoe, ISS=${provider.issuer}`, authtype: 'OIDC', email: 'jdoe@example.org' }),
      });
      expect(mapped.status).toBe(201);
    }
    await s.posixRse('SITE_A', { attributes: { QOS: 'SAFE' } });
    await s.posixRse('SITE_B', { attributes: { QOS: 'FAST' } });
    await s.cli.ok(['rse', 'set-limit', 'SITE_B', 'MaxBytes', '10GB']).catch(() => undefined);
    await s.cli.ok(['scope', 'add', 'exp.ui']);
    await s.cli.ok(['scope', 'add', 'user.jdoe', '--owner', JDOE.account]);
    const files = join(s.cli.home, 'run4711');
    mkdirSync(files);
    for (const [i, name] of ['raw_0001.fits', 'raw_0002.fits'].entries()) writeFileSync(join(files, name), Buffer.alloc(4096 * (i + 1), i + 1));
    await s.cli.ok(['upload', files, '--scope', 'exp.ui', '--rse', 'SITE_A', '--dataset', 'run4711', '--meta', 'run=4711']);
    await waitFor('the uploaded replicas to be verified', async () => {
      const rows = await s.cli.json<Row[]>(['replica', 'list', 'exp.ui:run4711', '--all-states']);
      return rows.length === 2 && rows.every((r) => r.state === 'AVAILABLE');
    });
    await s.s3Rse('SITE_S3');
    writeFileSync(join(s.cli.home, 'calib.dat'), S3_BYTES);
    await s.cli.ok(['upload', join(s.cli.home, 'calib.dat'), '--scope', 'exp.ui', '--rse', 'SITE_S3']);
    const drop = await s.posixRse('SITE_DROP', { nonDeterministic: true });
    mkdirSync(join(drop.root, 'incoming'));
    writeFileSync(join(drop.root, 'incoming', 'dark_0001.fits'), Buffer.alloc(2048, 7));
    await s.cli.ok(['hook', 'add', 'nightly', '--schedule', '0 2 * * *', '--source-rse', 'SITE_DROP', '--prefix', 'incoming', '--glob', '**/*.fits', '--scope', 'exp.ui', '--dataset', 'darks']);
    await s.cli.ok(['subscription', 'add', 'raw-to-fast', '--scope', 'exp.ui', '--meta', 'run=4711', '--did-type', 'DATASET', '--rule', 'QOS=FAST']);
    // Transfers to SITE_B wait (the throttler admits none) until the test lifts the limit, so REPLICATING is seen for sure.
    await s.db.dataSource.query(`INSERT INTO configs (section, opt, value) VALUES ('throttler', 'SITE_B', '0')`);
    jdoeCli = new CliUser({ TARN_URL: s.tarn.url, TARN_ACCOUNT: JDOE.account, TARN_PASSWORD: JDOE.password });
    approvalRule = (await jdoeCli.ok(['rule', 'add', 'exp.ui:run4711', '--rses', 'SITE_A', '--copies', '1', '--ask-approval'])).trim().split(/\s+/).pop()!;
    daemon = startDaemonProcess(KILLED_DAEMON, s.db.url, { TARN_HEARTBEAT_INTERVAL_SECONDS: '2' });
    await waitFor(`the ${KILLED_DAEMON} process to beat`, async () => {
      const rows = await s.db.dataSource.query(`SELECT 1 FROM heartbeats WHERE executable = $1 AND pid = $2`, [KILLED_DAEMON, daemon.child.pid]);
      return rows.length > 0;
    }, 60_000);
    admin = await logIn('opsui', ADMIN_PASSWORD);
  });

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await browser?.close();
    jdoeCli?.drop();
    await s?.close();
    await provider?.close();
    web?.drop();
    if (!process.env.TARN_UI_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  it('shows an administrator every daemon instance, the separate process among them, alive', async () => {
    const { page } = admin;
    expect(await page.getByTestId('account').textContent()).toBe('opsui (administrator)');
    const row = page.locator(`tr[data-daemon="${KILLED_DAEMON}"][data-pid="${daemon.child.pid}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('alive');
    expect(await page.locator('tr[data-daemon="transfer-worker"]').count()).toBeGreaterThan(0);
  });

  it('creates a rule with a live preview of the RSEs, and watches it go from REPLICATING to OK', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByLabel('Scope').selectOption('exp.ui');
    await page.getByLabel('Name').fill('run*');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('checkbox', { name: /exp\.ui:run4711/ }).check();
    const expression = page.getByLabel('RSE expression');
    await expression.fill('QOS=FAST|');
    await page.getByTestId('preview').getByText(/InvalidRSEExpression|expression|token/i).waitFor();
    await expression.fill('QOS=FAST');
    await page.getByTestId('preview').locator('tr[data-rse="SITE_B"]').waitFor();
    expect(await page.getByTestId('preview').locator('tr[data-rse]').count()).toBe(1);
    await shoot(page, 'rule-new');
    await page.getByLabel(/^Lifetime/).fill('30d');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await ruleState(page).waitFor();
    expect(await ruleState(page).textContent()).toBe('REPLICATING');
    await page.getByTestId('locks').locator('tr', { hasText: 'REPLICATING' }).first().waitFor();
    await shoot(page, 'rule');
    await s.db.dataSource.query(`UPDATE configs SET value = '10' WHERE section = 'throttler' AND opt = 'SITE_B'`);
    await page.getByTestId('rule-state').getByText('OK', { exact: true }).waitFor({ timeout: 45_000 });
    await page.getByTestId('locks').locator('tr', { hasText: 'REPLICATING' }).first().waitFor({ state: 'detached' });
  });

  it('lets an administrator approve a rule that waits for approval', async () => {
    const { page } = admin;
    await page.goto(`${s.tarn.url}/ui/rules?state=WAITING_APPROVAL`);
    await page.locator(`tr[data-rule="${approvalRule}"] a`).click();
    expect(await ruleState(page).textContent()).toBe('WAITING_APPROVAL');
    await page.getByRole('button', { name: 'Approve' }).click();
    await waitFor('the approved rule to leave WAITING_APPROVAL', async () => (await ruleState(page).textContent()) !== 'WAITING_APPROVAL', 15_000);
    await page.getByTestId('rule-state').getByText('OK', { exact: true }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    // Extending its lifetime: read as the command line reads it.
    await page.getByLabel(/^Lifetime from now/).fill('2 days');
    await page.getByRole('button', { name: 'Set lifetime' }).click();
    await waitFor('the new expiry', async () => {
      const expires = (await s.cli.json<Row>(['rule', 'show', approvalRule])).expires_at;
      return typeof expires === 'string' && Math.abs(new Date(expires).getTime() - Date.now() - 2 * 86_400_000) < 120_000;
    }, 15_000);
  });

  it('downloads a file from an S3 RSE through a presigned URL', async () => {
    const { page } = admin;
    await page.goto(`${s.tarn.url}/ui/dids/exp.ui/calib.dat`);
    const replica = page.getByTestId('replicas').locator('tr', { hasText: 'SITE_S3' });
    await replica.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), replica.getByRole('button', { name: 'Download' }).click()]);
    const saved = join(s.cli.home, 'downloaded.dat');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(S3_BYTES)).toBe(true);
  });

  it('runs a hook now and shows what its run took in', async () => {
    const { page } = admin;
    await page.goto(`${s.tarn.url}/ui/hooks`);
    const hook = page.locator('tr[data-hook="nightly"]');
    await hook.getByText('never run').waitFor();
    await hook.getByRole('button', { name: 'Run now' }).click();
    await hook.getByText('1 taken of 1 listed').waitFor({ timeout: 30_000 });
    await page.getByTestId('subscriptions').getByText('raw-to-fast').waitFor();
    await shoot(page, 'hooks');
  });

  it('shows a non-administrator no administrator action', async () => {
    const user = await logIn(JDOE.account, JDOE.password);
    try {
      const { page } = user;
      expect(await page.getByTestId('account').textContent()).toBe(JDOE.account);
      expect(await page.getByRole('link', { name: 'Bad and suspicious replicas' }).count()).toBe(0);
      await page.getByRole('link', { name: 'RSEs' }).click();
      await page.getByTestId('rses').locator('tr[data-rse="SITE_A"]').waitFor();
      expect(await page.getByRole('button', { name: /Disable|Enable/ }).count()).toBe(0);
      // A rule of another account: no action at all; jdoe's own rule: its owner's actions, never approval.
      const adminRule = (await s.cli.json<Row[]>(['rule', 'list', '--did', 'exp.ui:run4711'])).find((r) => r.account === 'opsui')!;
      await page.goto(`${s.tarn.url}/ui/rules/${adminRule.id}`);
      await ruleState(page).waitFor();
      expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
      const waiting = (await jdoeCli.ok(['rule', 'add', 'exp.ui:run4711', '--rses', 'SITE_B', '--copies', '1', '--ask-approval'])).trim().split(/\s+/).pop()!;
      await page.goto(`${s.tarn.url}/ui/rules/${waiting}`);
      await ruleState(page).waitFor();
      expect(await ruleState(page).textContent()).toBe('WAITING_APPROVAL');
      expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      // Its owner deletes it, once the browser's confirmation is accepted.
      page.once('dialog', (dialog) => void dialog.accept());
      await page.getByRole('button', { name: 'Delete rule' }).click();
      await page.waitForURL(/\/ui\/rules$/);
      expect((await s.cli.json<Row[]>(['rule', 'list', '--did', 'exp.ui:run4711'])).map((r) => r.id)).not.toContain(waiting);
      await page.goto(`${s.tarn.url}/ui/replicas`);
      await page.getByText('No such page').waitFor();
    } finally {
      await user.context.close();
    }
  });

  it('shows a killed daemon process in red within a minute', async () => {
    const { page } = admin;
    await page.goto(`${s.tarn.url}/ui/`);
    const row = page.locator(`tr[data-daemon="${KILLED_DAEMON}"][data-pid="${daemon.child.pid}"]`);
    await row.waitFor();
    const killedAt = Date.now();
    daemon.child.kill('SIGKILL');
    await page.locator(`tr[data-daemon="${KILLED_DAEMON}"][data-pid="${daemon.child.pid}"][data-state="dead"]`).waitFor({ timeout: 60_000 });
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    expect(await page.getByTestId('problems').textContent()).toContain(`${KILLED_DAEMON} on`);
    expect(await backgroundOf(row)).toBe('rgb(255, 235, 233)');
    await shoot(page, 'overview');
  });

  it('lets an administrator switch an RSE\'s availability', async () => {
    const { page } = admin;
    await page.goto(`${s.tarn.url}/ui/rses`);
    const drop = page.getByTestId('rses').locator('tr[data-rse="SITE_DROP"]');
    await drop.getByRole('button', { name: 'Disable write on SITE_DROP' }).click();
    await drop.getByRole('button', { name: 'Enable write on SITE_DROP' }).waitFor();
    expect((await s.cli.json<Row>(['rse', 'show', 'SITE_DROP'])).availability_write).toBe(false);
  });

  it('logs in through the identity provider, choosing among the accounts of the identity, and logs out of both', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${s.tarn.url}/ui/rules`);
      await page.getByRole('link', { name: 'Log in with Test IAM' }).click();
      // The provider's own sign-in page.
      await page.locator('input[name="username"]').fill('jdoe');
      await page.locator('input[name="password"]').fill('jdoe-idp-secret');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Choose the account' }).waitFor();
      expect(await page.getByRole('link', { name: /^Log in as / }).allTextContents()).toEqual(['Log in as jdoe', 'Log in as pipeline']);
      expect(await page.getByLabel('Password').count()).toBe(0);
      await axe(page, 'login-choose-account');
      await shoot(page, 'login-choose-account');
      // The provider remembers the sign-in: choosing goes through it without the password again.
      await page.getByRole('link', { name: 'Log in as pipeline' }).click();
      await page.getByRole('heading', { name: 'Rules', level: 1 }).waitFor();
      expect(await page.getByTestId('account').textContent()).toBe('pipeline');
      const cookies = await context.cookies(s.tarn.url);
      expect(cookies.filter((c) => c.name === 'tarn_session').map((c) => [c.httpOnly, c.sameSite])).toEqual([[true, 'Strict']]);
      expect(cookies.some((c) => c.name === 'tarn_oidc_login')).toBe(false);
      expect((await provider.stats()).codeLogins).toBeGreaterThan(0);
      // Logging out ends the provider's session too: the next login through it asks for the password again.
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('link', { name: 'Log in with Test IAM' }).click();
      await page.locator('input[name="password"]').waitFor();
    } finally {
      await context.close();
    }
  });

  it('has no serious accessibility violation on any page (axe-core)', async () => {
    const { page } = admin;
    // A replica a job could not read, for the administrators' page.
    const [replica] = await s.cli.json<Row[]>(['replica', 'list', 'exp.ui:calib.dat']);
    const login = await fetch(`${s.tarn.url}/auth/userpass`, { headers: { 'X-Rucio-Account': 'opsui', 'X-Rucio-Username': 'opsui', 'X-Rucio-Password': ADMIN_PASSWORD } });
    const declared = await fetch(`${s.tarn.url}/replicas/suspicious`, {
      method: 'POST',
      headers: { 'X-Rucio-Auth-Token': login.headers.get('x-rucio-auth-token')!, 'Content-Type': 'application/json' },
      body: JSON.stringify({ pfns: [replica.pfn], reason: 'read failed: connection reset by peer' }),
    });
    expect(declared.status).toBe(201);
    const pages: Array<[string, string, () => Promise<unknown>]> = [
      ['overview', '/ui/', () => page.getByTestId('daemons').waitFor()],
      ['rses', '/ui/rses', () => page.getByTestId('rses').waitFor()],
      ['rules', '/ui/rules', () => page.getByTestId('rules').locator('tr[data-rule]').first().waitFor()],
      ['rule', `/ui/rules/${approvalRule}`, () => page.getByTestId('locks').waitFor()],
      ['rule-new', '/ui/rules/new', () => page.getByRole('button', { name: 'Create rule' }).waitFor()],
      ['dids', '/ui/dids?scope=exp.ui&name=*&type=all&meta=run%3E%3D4700', () => page.getByTestId('dids').locator('a').first().waitFor()],
      ['did', '/ui/dids/exp.ui/run4711', () => page.getByTestId('contents').waitFor()],
      ['hooks', '/ui/hooks', () => page.getByTestId('subscriptions').waitFor()],
      ['replicas', '/ui/replicas', () => page.getByTestId('suspicious').waitFor()],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(`${s.tarn.url}${path}`);
      await ready();
      await axe(page, name);
      if (!['overview', 'rule', 'rule-new', 'hooks'].includes(name)) await shoot(page, name);
    }
    await page.goto(`${s.tarn.url}/ui/`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await axe(page, 'login');
    await shoot(page, 'login');
  });
});
