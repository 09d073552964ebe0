import { Module } from '@nestjs/common';
import { CatalogueModule } from '@tarn/catalogue';
import { ConfigModule } from '@tarn/config';
import { ApiModule } from './api.module.js';
import { ApiMetricsServer } from './bootstrap/api-metrics.server.js';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';

/** The API process: its configuration, its catalogue connection (embedded or external), the routes, the root account, its /metrics. */
@Module({ imports: [ConfigModule, CatalogueModule, ApiModule, BootstrapModule], providers: [ApiMetricsServer] })
export class ApiAppModule {}
