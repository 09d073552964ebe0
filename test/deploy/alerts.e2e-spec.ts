/**
 * Tarn's alert rules (deploy/prometheus/alerts.yml) as Prometheus's own promtool reads them: they load (`check rules`),
 * each alert fires when it should and not otherwise (`test rules` on alerts.test.yml), a broken expectation is caught,
 * and every metric an alert queries is one Tarn exports. promtool comes from scripts/tools/promtool.sh (cached; .ci/run
 * and the tests' global setup fetch it); without it this test fails.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { exportedMetrics, metricsOf, promtool, run } from './support/prometheus.js';

const ROOT = resolve(import.meta.dirname, '../..');
const RULES = join(ROOT, 'deploy/prometheus');

describe('alert rules', () => {
  it('load in Prometheus and pass their unit tests', async () => {
    const bin = await promtool();
    await run(bin, ['check', 'rules', join(RULES, 'alerts.yml')]);
    const { stdout } = await run(bin, ['test', 'rules', join(RULES, 'alerts.test.yml')]);
    expect(stdout).toContain('SUCCESS');
  });

  it('have a firing and a quiet case for every alert, and a wrong expectation fails', async () => {
    const rules = load(readFileSync(join(RULES, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    const tests = load(readFileSync(join(RULES, 'alerts.test.yml'), 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect({ alert, fires: mine.some((c) => c.exp_alerts.length > 0), quiet: mine.some((c) => c.exp_alerts.length === 0) }).toEqual({
        alert,
        fires: true,
        quiet: true,
      });
    }

    // The same tests with one quiet case turned into a firing one must fail.
    const dir = mkdtempSync(join(tmpdir(), 'tarn-alerts-'));
    try {
      copyFileSync(join(RULES, 'alerts.yml'), join(dir, 'alerts.yml'));
      const broken = readFileSync(join(RULES, 'alerts.test.yml'), 'utf8').replace(
        '- { eval_time: 5m, alertname: TarnLinkFailing, exp_alerts: [] }',
        '- { eval_time: 5m, alertname: TarnLinkFailing, exp_alerts: [{ exp_labels: { severity: warning, src_rse: SITE_A, dst_rse: SITE_B } }] }',
      );
      expect(broken).not.toEqual(readFileSync(join(RULES, 'alerts.test.yml'), 'utf8'));
      writeFileSync(join(dir, 'alerts.test.yml'), broken);
      const failure = await run(await promtool(), ['test', 'rules', join(dir, 'alerts.test.yml')]).then(
        () => null,
        (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
      );
      expect(failure).toMatch(/FAILED[\s\S]*alertname: TarnLinkFailing, time: 5m/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('query only metrics Tarn exports', () => {
    const exported = exportedMetrics();
    const rules = load(readFileSync(join(RULES, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const unknown = rules.groups.flatMap((g) => g.rules.flatMap((r) => metricsOf(r.expr).filter((m) => !exported.has(m)).map((m) => `${r.alert}: ${m}`)));
    expect(unknown).toEqual([]);
    expect(exported.has('tarn_rules')).toBe(true);
  });
});
