import { Module } from '@nestjs/common';
import { TraceService } from './trace.service.js';

/** Client traces: queued by the API, applied by the kronos daemon. */
@Module({ providers: [TraceService], exports: [TraceService] })
export class TracesModule {}
