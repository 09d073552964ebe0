import { Module } from '@nestjs/common';
import { EventsModule } from '@tarn/events';
import { ApiAppModule } from '../../api/src/api-app.module.js';
import { MessengerModule } from '../../messenger/src/messenger.module.js';

/**
 * All of Tarn in one process (embedded mode, and the simplest way to run it anywhere): the API, the event bus,
 * the messenger and every daemon. In scale-out mode each of them also runs as its own process (apps/<name>).
 */
@Module({ imports: [ApiAppModule, EventsModule, MessengerModule] })
export class TarnModule {}
