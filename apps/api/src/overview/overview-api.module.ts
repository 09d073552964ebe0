import { Module } from '@nestjs/common';
import { OverviewModule } from '@tarn/core';
import { OverviewController } from './overview.controller.js';

@Module({ imports: [OverviewModule], controllers: [OverviewController] })
export class OverviewApiModule {}
