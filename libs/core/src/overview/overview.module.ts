import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { OverviewService } from './overview.service.js';

/** Aggregates over the catalogue: the web UI's overview and RSEs pages, and gauges. */
@Module({ imports: [AuthModule, RsesModule], providers: [OverviewService], exports: [OverviewService] })
export class OverviewModule {}
