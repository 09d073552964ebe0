import { Module } from '@nestjs/common';
import { CatalogueModule } from '@tarn/catalogue';
import { ConfigModule } from '@tarn/config';
import { HealthController } from './health/health.controller.js';

@Module({
  imports: [ConfigModule, CatalogueModule],
  controllers: [HealthController],
})
export class ApiModule {}
