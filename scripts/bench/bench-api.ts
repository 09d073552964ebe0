/**
 * The real API in-process on a free port of 127.0.0.1, over a bench's fresh catalogue, for benches that call it over
 * HTTP; with `daemons`, all of Tarn in that process as embedded mode runs it (every daemon, the PostgreSQL event bus).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DaemonModule } from '@tarn/daemon';
import { EventsModule } from '@tarn/events';
import { ApiModule } from '../../apps/api/src/api.module.js';
import { DAEMON_MODULES } from '../../apps/tarn/src/daemon-modules.js';
import { configureApi } from '../../apps/api/src/configure-api.js';
import { type BenchCatalogue, startBenchCatalogue } from './bench-catalogue.js';

export interface BenchApi {
  catalogue: BenchCatalogue;
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export interface BenchApiOptions {
  onResponse?: (req: IncomingMessage, res: ServerResponse) => void;
  daemons?: boolean;
}

export async function startBenchApi(name: string, options: BenchApiOptions = {}): Promise<BenchApi> {
  const { onResponse } = options;
  const catalogue = await startBenchCatalogue(name);
  try {
    const daemons = options.daemons ? [DaemonModule, EventsModule, ...DAEMON_MODULES] : [];
    @Module({ imports: [catalogue.module, ApiModule, ...daemons] })
    class BenchApiModule {}
    const app = await NestFactory.create(BenchApiModule, { bodyParser: false, logger: ['error', 'warn'] });
    if (onResponse) {
      app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        res.on('finish', () => onResponse(req, res));
        next();
      });
    }
    configureApi(app);
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    return {
      catalogue,
      app,
      url,
      close: async () => {
        await app.close();
        await catalogue.close();
      },
    };
  } catch (error) {
    await catalogue.close();
    throw error;
  }
}
