import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DaemonMetrics, type DaemonHttpServer, serveProcessMetrics } from '@tarn/daemon';
import { consoleLogger } from '@tarn/events';

/**
 * The API process's /metrics (API requests by route and status, latencies, the process's own figures) on
 * TARN_METRICS_PORT (default 9464, 0 a free port, off none), as every daemon process serves its own (ApiProcessModule).
 */
@Injectable()
export class ApiMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: DaemonHttpServer | null = null;

  async onApplicationBootstrap(): Promise<void> {
    this.server = await serveProcessMetrics(DaemonMetrics.forProcess(), consoleLogger('api'));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}
