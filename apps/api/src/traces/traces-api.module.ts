import { Module } from '@nestjs/common';
import { TracesController } from './traces.controller.js';

/** Rucio's /traces route (client traces, accepted and logged). */
@Module({ controllers: [TracesController] })
export class TracesApiModule {}
