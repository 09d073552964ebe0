import { Module } from '@nestjs/common';
import { EventsModule } from '@tarn/events';
import { ApiAppModule } from '../../api/src/api-app.module.js';
import { MessengerModule } from '../../messenger/src/messenger.module.js';
import { ReaperModule } from '../../reaper/src/reaper.module.js';
import { ReplicaRegistrarModule } from '../../replica-registrar/src/replica-registrar.module.js';
import { RuleCleanerModule } from '../../rule-cleaner/src/rule-cleaner.module.js';
import { RuleEvaluatorModule } from '../../rule-evaluator/src/rule-evaluator.module.js';
import { RuleInjectorModule } from '../../rule-injector/src/rule-injector.module.js';
import { RuleRepairerModule } from '../../rule-repairer/src/rule-repairer.module.js';
import { UndertakerModule } from '../../undertaker/src/undertaker.module.js';

/**
 * All of Tarn in one process (embedded mode, and the simplest way to run it anywhere): the API, the event bus,
 * the messenger and every daemon. In scale-out mode each of them also runs as its own process (apps/<name>).
 */
@Module({
  imports: [
    ApiAppModule,
    EventsModule,
    MessengerModule,
    RuleEvaluatorModule,
    RuleInjectorModule,
    RuleRepairerModule,
    RuleCleanerModule,
    UndertakerModule,
    ReplicaRegistrarModule,
    ReaperModule,
  ],
})
export class TarnModule {}
