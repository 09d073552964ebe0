import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonMetrics } from './daemon.metrics.js';
import type { DaemonStatus } from './daemon.runner.js';
import { isAlive, type DaemonInstanceStatus, type HeartbeatService } from './heartbeat.service.js';

export const DEFAULT_METRICS_PORT = 9464;

/** TARN_METRICS_PORT (default 9464; 0 turns the server off) and TARN_METRICS_HOST (default 127.0.0.1). */
export function metricsEndpoint(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } {
  const raw = env.TARN_METRICS_PORT;
  const port = raw === undefined || raw === '' ? DEFAULT_METRICS_PORT : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`TARN_METRICS_PORT=${raw} is not a TCP port (0 turns the metrics server off)`);
  }
  return { port, host: env.TARN_METRICS_HOST || '127.0.0.1' };
}

export interface HealthReport {
  /** ok: this process's daemons run and beat; degraded: some keep failing passes; failing: stopped, silent or no database. */
  status: 'ok' | 'degraded' | 'failing';
  daemons: (DaemonStatus & { alive: boolean | null })[];
  heartbeats: DaemonInstanceStatus[];
  error?: string;
}

export interface HealthSources {
  metrics: DaemonMetrics;
  heartbeats: HeartbeatService;
  /** Runners of this process. */
  daemons: () => { status(): DaemonStatus; key: { executable: string; hostname: string; pid: number; thread: string } }[];
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
    return { ...d.status(), alive: own ? isAlive(own.ageSeconds) : false };
  });
  const failing = daemons.some((d) => !d.running || !d.alive);
  const degraded = daemons.some((d) => d.consecutiveFailures > 0);
  return { status: failing ? 'failing' : degraded ? 'degraded' : 'ok', daemons, heartbeats };
}

/** The one small HTTP server of a daemon process: GET /health (JSON, 503 when failing) and GET /metrics. */
export class DaemonHttpServer {
  private server: Server | null = null;

  constructor(private readonly sources: HealthSources) {}

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
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
      } else if (path === '/health') {
        const report = await healthReport(this.sources);
        res.writeHead(report.status === 'failing' ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /health or /metrics\n');
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
