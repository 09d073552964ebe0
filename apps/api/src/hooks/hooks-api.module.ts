import { Module } from '@nestjs/common';
import { IngestModule } from '@tarn/core/ingest/ingest.module.js';
import { HooksController } from './hooks.controller.js';

@Module({ imports: [IngestModule], controllers: [HooksController] })
export class HooksApiModule {}
