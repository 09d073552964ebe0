import { Module } from '@nestjs/common';
import { CatalogueModule } from '@tarn/catalogue';
import { ConfigModule } from '@tarn/config';
import { ApiModule } from './api.module.js';
import { BootstrapModule } from './bootstrap/bootstrap.module.js';

/** The API process: its configuration, its catalogue connection (embedded or external), the routes, the root account. */
@Module({ imports: [ConfigModule, CatalogueModule, ApiModule, BootstrapModule] })
export class ApiAppModule {}
