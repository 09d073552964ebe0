import { Module } from '@nestjs/common';
import { CatalogueModule } from '@tarn/catalogue';
import { ConfigModule } from '@tarn/config';
import { ApiModule } from './api.module.js';
import { ApiMetricsServer } from './bootstrap/api-metrics.server.js';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';

/** The API: its configuration, its catalogue connection (embedded or external), the routes, the root account. */
@Module({ imports: [ConfigModule, CatalogueModule, ApiModule, BootstrapModule] })
export class ApiAppModule {}

/**
 * The API alone in its process (apps/api), with its /metrics. All of Tarn in one process (apps/tarn) imports
 * ApiAppModule instead: its daemons' health and metrics server serves the same registry.
 */
@Module({ imports: [ApiAppModule], providers: [ApiMetricsServer] })
export class ApiProcessModule {}
