import { Module } from '@nestjs/common';
import { EventsModule } from '@tarn/events';
import { ApiAppModule } from '../../api/src/api-app.module.js';
import { DAEMON_MODULES } from './daemon-modules.js';

/**
 * All of Tarn in one process (embedded mode, and the simplest way to run it anywhere): the API, the event bus,
 * the messenger and every daemon.
 */
@Module({ imports: [ApiAppModule, EventsModule, ...DAEMON_MODULES] })
export class TarnModule {}
