/**
 * Every deployment of Tarn runs every daemon of the one list (apps/tarn/src/daemon-list.ts): docker-compose.yml as the
 * real Compose CLI reads it (`config`), the Helm chart as Helm renders it (`lint`, `template`), and the pm2 file. Each
 * check is also run on a deployment that lost a daemon, to show that it names it. The Compose CLI and Helm are built
 * from the Go module proxy by scripts/tools/go-tool.sh (cached; .ci/run builds them before the tests).
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { API_APP, DAEMONS } from '../../apps/tarn/src/daemon-list.js';
import { promtool } from './support/prometheus.js';

jest.setTimeout(20 * 60_000);

const ROOT = resolve(import.meta.dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/tarn');
const run = promisify(execFile);

/** The binary of a tool, built once (minutes) if the cache does not have it yet. */
async function tool(name: 'compose' | 'helm'): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'scripts/tools/go-tool.sh'), name], { timeout: 19 * 60_000 });
  return stdout.trim();
}

/** The app a command runs (`node dist/apps/<app>/src/main.js`), or null. */
function appOf(command: unknown): string | null {
  const words = Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : [];
  const script = words.find((w) => /^dist\/apps\/[a-z-]+\/src\/main\.js$/.test(w));
  return script ? script.split('/')[2] : null;
}

/**
 * What is wrong with a deployment's processes (name -> app it runs): daemons of the list it lacks or runs under
 * another app, and Tarn apps it runs that are neither the API nor a daemon of the list.
 */
function againstTheList(processes: Map<string, string | null>, nameOf: (daemon: string) => string): string[] {
  const problems: string[] = [];
  for (const daemon of DAEMONS) {
    const name = nameOf(daemon.name);
    if (!processes.has(name)) problems.push(`${daemon.name}: missing (${name})`);
    else if (processes.get(name) !== daemon.app) problems.push(`${daemon.name}: runs ${processes.get(name)} instead of apps/${daemon.app}`);
  }
  const known = new Set([API_APP, ...DAEMONS.map((d) => d.app)]);
  for (const [name, app] of processes) if (app !== null && !known.has(app)) problems.push(`${name}: runs apps/${app}, which is not in the list`);
  return problems;
}

describe('the one list of daemons', () => {
  it('names each daemon once, and every daemon app of apps/ is in it', () => {
    expect(new Set(DAEMONS.map((d) => d.name)).size).toBe(DAEMONS.length);
    for (const d of DAEMONS) expect(existsSync(join(ROOT, 'apps', d.app, 'src/main.ts'))).toBe(true);
    const processApps = readdirSync(join(ROOT, 'apps')).filter((app) => existsSync(join(ROOT, 'apps', app, 'src/main.ts')));
    const notDaemons = new Set([API_APP, 'cli', 'tarn']);
    expect(processApps.filter((app) => !notDaemons.has(app)).sort()).toEqual(DAEMONS.map((d) => d.app).sort());
  });
});

describe('docker-compose.yml, read by the Compose CLI', () => {
  let compose: string;
  let scratch: string;

  /** `docker compose config` of a file, as JSON (the CLI's own validation and interpolation). */
  async function config(file: string): Promise<{ services: Record<string, any> }> {
    const { stdout } = await run(compose, ['-f', file, '--project-directory', ROOT, 'config', '--format', 'json'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    return JSON.parse(stdout);
  }

  const processesOf = (services: Record<string, any>) => new Map(Object.entries(services).map(([name, s]) => [name, appOf(s.command)]));

  beforeAll(async () => {
    compose = await tool('compose');
    scratch = mkdtempSync(join(tmpdir(), 'tarn-compose-'));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs every daemon of the list as its own service, healthy once it reached the catalogue and Kafka', async () => {
    const { services } = await config(join(ROOT, 'docker-compose.yml'));
    expect(againstTheList(processesOf(services), (name) => name)).toEqual([]);
    for (const daemon of DAEMONS) {
      const service = services[daemon.name];
      expect([daemon.name, service.healthcheck.test]).toEqual([daemon.name, ['CMD', 'node', 'dist/scripts/probe.js', 'http://127.0.0.1:9464/health/ready']]);
      expect(service.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' }, kafka: { condition: 'service_healthy' } });
      expect(service.environment).toMatchObject({ DATABASE_URL: expect.stringMatching(/^postgres:\/\//), KAFKA_BROKERS: 'kafka:9092', TARN_METRICS_PORT: '9464' });
      expect(service.deploy.replicas).toBeGreaterThanOrEqual(1);
      expect(service.user).toBeUndefined();
    }
    expect(services['transfer-worker'].deploy.replicas).toBe(2);
    expect(appOf(services.api.command)).toBe(API_APP);
    expect(services.migrate.command).toEqual(['node', 'dist/scripts/migrate.js']);
    for (const store of ['postgres', 'kafka', 'minio']) expect(services[store].healthcheck).toBeDefined();
  });

  it('names a daemon that a compose file lost, and an app that is not in the list', async () => {
    const original = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const broken = original
      .replace(/\n  reaper:\n    <<: \*tarn-daemon\n    command: \["node", "dist\/apps\/reaper\/src\/main.js"\]\n/, '\n')
      .replace('dist/apps/subscriptions/src/main.js', 'dist/apps/transmogrifier/src/main.js');
    expect(broken).not.toBe(original);
    writeFileSync(join(scratch, 'docker-compose.yml'), broken);
    const { services } = await config(join(scratch, 'docker-compose.yml'));
    expect(againstTheList(processesOf(services), (name) => name)).toEqual([
      'reaper: missing (reaper)',
      'transmogrifier: runs transmogrifier instead of apps/subscriptions',
      'transmogrifier: runs apps/transmogrifier, which is not in the list',
    ]);
  });

  it('runs Prometheus with the alert rules scraping every daemon, and Grafana with the Tarn dashboard', async () => {
    const { services } = await config(join(ROOT, 'docker-compose.yml'));
    const mounts = (service: { volumes: { type: string; source: string; target: string }[] }) =>
      Object.fromEntries(service.volumes.filter((v) => v.type === 'bind').map((v) => [v.target, v.source]));
    expect(mounts(services.prometheus)).toEqual({
      '/etc/prometheus/prometheus.yml': join(ROOT, 'deploy/prometheus/prometheus.yml'),
      '/etc/prometheus/alerts.yml': join(ROOT, 'deploy/prometheus/alerts.yml'),
    });
    expect(mounts(services.grafana)).toEqual({
      '/etc/grafana/provisioning': join(ROOT, 'deploy/grafana/provisioning'),
      '/var/lib/grafana/dashboards/tarn.json': join(ROOT, 'deploy/grafana/tarn.json'),
    });
    const prometheus = loadAll(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8'))[0] as {
      rule_files: string[];
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const scraped = prometheus.scrape_configs.flatMap((c) => c.dns_sd_configs.flatMap((d) => d.names.map((n) => `${n}:${d.port}`)));
    expect([API_APP, ...DAEMONS.map((d) => d.name)].map((name) => `${name}:9464`).filter((d) => !scraped.includes(d))).toEqual([]);
    // Prometheus's own check of the configuration, with the rules at their place in the repository.
    const local = readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8').replace('/etc/prometheus/alerts.yml', join(ROOT, 'deploy/prometheus/alerts.yml'));
    writeFileSync(join(scratch, 'prometheus.yml'), local);
    const { stdout } = await run(await promtool(), ['check', 'config', join(scratch, 'prometheus.yml')]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('builds the image with npm ci on the Node.js 24 LTS and runs it as an unprivileged user', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM node:24-\S+/gm)?.length).toBe(2);
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});

describe('the Helm chart, rendered by Helm', () => {
  let helm: string;
  const VALUES = ['--set', 'database.url=postgres://tarn:secret@postgres:5432/tarn', '--set', 'kafka.brokers=kafka:9092'];

  async function render(...args: string[]): Promise<any[]> {
    const { stdout } = await run(helm, ['template', 'tarn', CHART, ...VALUES, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return (loadAll(stdout) as any[]).filter(Boolean);
  }

  const deployments = (objects: any[]) => objects.filter((o) => o.kind === 'Deployment');
  const processesOf = (objects: any[]) =>
    new Map(deployments(objects).map((d) => [d.metadata.name as string, appOf(d.spec.template.spec.containers[0].command)]));

  beforeAll(async () => {
    helm = await tool('helm');
  });

  it('passes helm lint', async () => {
    const { stdout } = await run(helm, ['lint', '--strict', CHART, ...VALUES]);
    expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders one Deployment per daemon of the list, probed on /health, configured from a ConfigMap and a Secret', async () => {
    const objects = await render();
    expect(againstTheList(processesOf(objects), (name) => `tarn-${name}`)).toEqual([]);
    const values = (loadAll(readFileSync(join(CHART, 'values.yaml'), 'utf8'))[0] as any).daemons;
    for (const daemon of DAEMONS) {
      const deployment = deployments(objects).find((d) => d.metadata.name === `tarn-${daemon.name}`);
      const container = deployment.spec.template.spec.containers[0];
      expect([daemon.name, deployment.spec.replicas]).toEqual([daemon.name, values[daemon.name].replicas]);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'metrics' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'metrics' });
      expect(container.envFrom).toEqual([{ configMapRef: { name: 'tarn' } }, { secretRef: { name: 'tarn' } }]);
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    const api = deployments(objects).find((d) => d.metadata.name === 'tarn-api');
    expect(api.spec.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    // Every process, the API too, is scraped on its metrics port.
    for (const d of deployments(objects)) {
      expect([d.metadata.name, d.spec.template.metadata.annotations]).toEqual([d.metadata.name, expect.objectContaining({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9464' })]);
      expect(d.spec.template.spec.containers[0].ports).toContainEqual({ name: 'metrics', containerPort: 9464 });
    }
    expect(objects.find((o) => o.kind === 'ConfigMap').data).toMatchObject({ KAFKA_BROKERS: 'kafka:9092', TARN_EVENT_BUS: 'kafka' });
    expect(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'tarn').stringData.DATABASE_URL).toBe('postgres://tarn:secret@postgres:5432/tarn');
    // Migrations: a Job before every install and upgrade, with the database URL in a Secret of its own.
    const job = objects.find((o) => o.kind === 'Job');
    expect(job.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/scripts/migrate.js']);
    expect(objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'tarn-migrate').metadata.annotations['helm.sh/hook-weight']).toBe('-10');
  });

  it('takes replicas from the values, and names a daemon left out', async () => {
    const objects = await render('--set', 'daemons.transfer-worker.replicas=5', '--set', 'daemons.auditor.enabled=false');
    expect(deployments(objects).find((d) => d.metadata.name === 'tarn-transfer-worker').spec.replicas).toBe(5);
    expect(againstTheList(processesOf(objects), (name) => `tarn-${name}`)).toEqual(['auditor: missing (tarn-auditor)']);
  });

  it('refuses to render without a database', async () => {
    await expect(run(helm, ['template', 'tarn', CHART])).rejects.toThrow(/database.url \(postgres:\/\/\.\.\.\) or database.existingSecret is required/);
  });
});

describe('the pm2 file (one host, no Docker)', () => {
  it('runs the API and every daemon of the list, each daemon on a free metrics port', () => {
    const { apps } = createRequire(import.meta.url)(join(ROOT, 'deploy/pm2/ecosystem.config.cjs')) as { apps: any[] };
    const processes = new Map(apps.map((a) => [a.name as string, appOf(a.script)]));
    expect(againstTheList(processes, (name) => `tarn-${name}`)).toEqual([]);
    expect(processes.get('tarn-api')).toBe(API_APP);
    for (const app of apps.filter((a) => a.name !== 'tarn-api')) expect([app.name, app.env.TARN_METRICS_PORT]).toEqual([app.name, '0']);
  });
});
