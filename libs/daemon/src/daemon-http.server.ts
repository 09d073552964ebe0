import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonMetrics } from './daemon.metrics.js';
import type { DaemonStatus } from './daemon.runner.js';
import type { DaemonInstanceStatus, HeartbeatService } from './heartbeat.service.js';

export const DEFAULT_METRICS_PORT = 9464;

/**
 * TARN_METRICS_PORT: the port of the process's health and metrics server (default 9464; `0` picks a free one, which
 * the heartbeats record, so that many processes share a host; `off` runs none) and TARN_METRICS_HOST (default 127.0.0.1).
 */
export function metricsEndpoint(env: NodeJS.ProcessEnv = process.env): { port: number | null; host: string } {
  const raw = env.TARN_METRICS_PORT?.trim();
  const host = env.TARN_METRICS_HOST || '127.0.0.1';
  if (raw === 'off') return { port: null, host };
  const port = raw === undefined || raw === '' ? DEFAULT_METRICS_PORT : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`TARN_METRICS_PORT=${raw} is not a TCP port (0 picks a free port, off runs no health and metrics server)`);
  }
  return { port, host };
}

/** A runner as the health server sees it. */
export interface HealthDaemon {
  status(): DaemonStatus;
  readiness(timeoutMs?: number): Promise<{ ready: boolean; waiting?: string }>;
  key: { executable: string; hostname: string; pid: number; thread: string };
}

export interface HealthReport {
  /** ok: this process's daemons run and beat; degraded: some keep failing passes; failing: stopped, silent or no database. */
  status: 'ok' | 'degraded' | 'failing';
  daemons: (DaemonStatus & { alive: boolean | null })[];
  heartbeats: DaemonInstanceStatus[];
  error?: string;
}

export interface Readiness {
  /** Every daemon of the process runs, reached the catalogue and its event bus, and the catalogue answers now. */
  ready: boolean;
  /** What is missing. */
  waiting: string[];
}

export interface HealthSources {
  metrics: DaemonMetrics;
  heartbeats: HeartbeatService;
  /** Runners of this process. */
  daemons: () => HealthDaemon[];
}

export async function healthReport(sources: HealthSources): Promise<HealthReport> {
  const local = sources.daemons();
  let heartbeats: DaemonInstanceStatus[];
  try {
    heartbeats = await sources.heartbeats.list();
  } catch (error) {
    return {
      status: 'failing',
      daemons: local.map((d) => ({ ...d.status(), alive: null })),
      heartbeats: [],
      error: `catalogue database unreachable: ${(error as Error).message}`,
    };
  }
  const daemons = local.map((d) => {
    const own = heartbeats.find(
      (h) => h.executable === d.key.executable && h.hostname === d.key.hostname && h.pid === d.key.pid && h.thread === d.key.thread,
    );
    return { ...d.status(), alive: own ? own.alive : false };
  });
  const failing = daemons.some((d) => !d.running || !d.alive);
  const degraded = daemons.some((d) => d.consecutiveFailures > 0);
  return { status: failing ? 'failing' : degraded ? 'degraded' : 'ok', daemons, heartbeats };
}

/** Ready once every daemon reached the catalogue and its event bus (then it stays so), while the catalogue answers. */
export async function readiness(sources: HealthSources): Promise<Readiness> {
  const answers = await Promise.all(sources.daemons().map((d) => d.readiness()));
  const waiting = answers.flatMap((a) => (a.ready ? [] : [a.waiting ?? 'a daemon is not ready']));
  try {
    await sources.heartbeats.ping();
  } catch (error) {
    waiting.push(`catalogue database unreachable: ${(error as Error).message}`);
  }
  if (answers.length === 0) waiting.push('no daemon runs in this process');
  return { ready: waiting.length === 0, waiting };
}

/** What a process that runs no daemon (the API alone) serves: its metrics only; its health is the API's GET /health. */
export interface MetricsOnlySources {
  metrics: DaemonMetrics;
}

/**
 * The one small HTTP server of a process: GET /metrics and, in a daemon process, GET /health (the report; 503 when
 * failing), /health/ready (200 once the daemons reached the catalogue and their event bus, else 503) and /health/live
 * (200 while every daemon's loop runs: a restart helps only when it does not).
 */
export class DaemonHttpServer {
  private server: Server | null = null;

  constructor(private readonly sources: HealthSources | MetricsOnlySources) {}

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`the health and metrics port ${host}:${port} is taken (another Tarn process on this host?): give each process its own TARN_METRICS_PORT, or 0 to pick a free one`)
            : error,
        );
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/metrics') {
        const body = await this.sources.metrics.text();
        res.writeHead(200, { 'content-type': this.sources.metrics.registry.contentType }).end(body);
      } else if (!('daemons' in this.sources)) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics (no daemon runs in this process: the API answers GET /health on its own port)\n');
      } else if (path === '/health') {
        const report = await healthReport(this.sources);
        this.json(res, report.status === 'failing' ? 503 : 200, report);
      } else if (path === '/health/ready') {
        const answer = await readiness(this.sources);
        this.json(res, answer.ready ? 200 : 503, answer);
      } else if (path === '/health/live') {
        const stopped = this.sources.daemons().filter((d) => !d.status().running).map((d) => d.status().name);
        this.json(res, stopped.length === 0 ? 200 : 503, { live: stopped.length === 0, stopped });
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /health, /health/ready, /health/live or /metrics\n');
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Starts the health and metrics server of a process's runners on TARN_METRICS_PORT (or `endpoint`) and tells them
 * its port for their heartbeats; null when the port is `off` or there is no runner.
 */
export async function serveDaemonHealth(
  runners: (HealthDaemon & { metricsPort: number | null })[],
  sources: Omit<HealthSources, 'daemons'>,
  logger: { log(message: string): void },
  endpoint: { port: number | null; host: string } = metricsEndpoint(),
): Promise<DaemonHttpServer | null> {
  if (endpoint.port === null || runners.length === 0) return null;
  const server = new DaemonHttpServer({ ...sources, daemons: () => runners });
  const bound = await server.listen(endpoint.port, endpoint.host);
  for (const runner of runners) runner.metricsPort = bound;
  logger.log(`health and metrics of ${runners.length} daemon(s) on http://${endpoint.host}:${bound}/health (/health/ready, /health/live) and /metrics`);
  return server;
}

/** Starts the metrics server of a process that runs no daemon (the API alone) on TARN_METRICS_PORT; null when `off`. */
export async function serveProcessMetrics(
  metrics: DaemonMetrics,
  logger: { log(message: string): void },
  endpoint: { port: number | null; host: string } = metricsEndpoint(),
): Promise<DaemonHttpServer | null> {
  if (endpoint.port === null) return null;
  const server = new DaemonHttpServer({ metrics });
  const bound = await server.listen(endpoint.port, endpoint.host);
  logger.log(`metrics on http://${endpoint.host}:${bound}/metrics`);
  return server;
}
