import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { TracesModule } from '@tarn/core/traces/traces.module.js';
import { TracesController } from './traces.controller.js';

/** Rucio's /traces route: client traces, queued for the kronos daemon. */
@Module({ imports: [TracesModule, AccountsModule], controllers: [TracesController] })
export class TracesApiModule {}
