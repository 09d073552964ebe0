import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../../..');
export const run = promisify(execFile);

/** Prometheus's promtool (scripts/tools/promtool.sh: the one on the PATH, or fetched once from Debian's package). */
export async function promtool(): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'scripts/tools/promtool.sh')], { timeout: 120_000 });
  return stdout.trim();
}

/** Every `tarn_*` metric name written as a string in the sources of libs/ and apps/. */
export function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/'(tarn_[a-z0-9_]+)'/g)) names.add(m[1]);
      }
    }
  };
  walk(join(ROOT, 'libs'));
  walk(join(ROOT, 'apps'));
  return names;
}

/** The metric names a PromQL expression queries (a histogram's _bucket/_count/_sum are its family). */
export function metricsOf(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(tarn_[a-z0-9_]+)\b/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, '')))];
}
