import { Module } from '@nestjs/common';
import { CatalogueModule } from '@tarn/catalogue';
import { ConfigModule } from '@tarn/config';
import { ApiModule } from './api.module.js';

/** The API process: its configuration, its catalogue connection (embedded or external), the routes. */
@Module({ imports: [ConfigModule, CatalogueModule, ApiModule] })
export class ApiAppModule {}
