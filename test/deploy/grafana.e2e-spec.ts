/**
 * The Grafana dashboard (deploy/grafana/tarn.json): every panel queries Prometheus through the dashboard's datasource
 * variable, every query is valid PromQL (promtool checks them as recording rules), and every metric a panel queries is
 * one Tarn exports; the families the alerts watch each have a panel.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { exportedMetrics, metricsOf, promtool, run } from './support/prometheus.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface Panel {
  title: string;
  datasource: { type: string; uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/tarn.json'), 'utf8')) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));

describe('the Grafana dashboard', () => {
  it('queries Prometheus through its datasource variable in every panel', () => {
    expect(dashboard.uid).toBe('tarn');
    expect(dashboard.templating.list.map((v) => v.name)).toContain('datasource');
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) {
      expect({ panel: panel.title, uid: panel.datasource.uid, targets: panel.targets.length > 0 }).toEqual({ panel: panel.title, uid: '${datasource}', targets: true });
      for (const t of panel.targets) expect(t.datasource.uid).toBe('${datasource}');
    }
  });

  it('queries only metrics Tarn exports, and shows every metric an alert watches', () => {
    const exported = exportedMetrics();
    expect(queries.flatMap((q) => metricsOf(q.expr).filter((m) => !exported.has(m)).map((m) => `${q.panel}: ${m}`))).toEqual([]);
    const shown = new Set(queries.flatMap((q) => metricsOf(q.expr)));
    const alerts = load(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const watched = alerts.groups.flatMap((g) => g.rules.flatMap((r) => metricsOf(r.expr)));
    expect(watched.filter((m) => !shown.has(m))).toEqual([]);
  });

  it('has only valid PromQL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tarn-dashboard-'));
    try {
      const rules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `tarn:dashboard_query_${i}`, expr: q.expr })) }] };
      writeFileSync(join(dir, 'queries.yml'), dump(rules));
      const { stdout } = await run(await promtool(), ['check', 'rules', join(dir, 'queries.yml')]);
      expect(stdout).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
