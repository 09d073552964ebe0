import { AuditorModule } from '../../auditor/src/auditor.module.js';
import { IngesterModule } from '../../ingester/src/ingester.module.js';
import { MessengerModule } from '../../messenger/src/messenger.module.js';
import { ReaperModule } from '../../reaper/src/reaper.module.js';
import { ReplicaRegistrarModule } from '../../replica-registrar/src/replica-registrar.module.js';
import { RuleCleanerModule } from '../../rule-cleaner/src/rule-cleaner.module.js';
import { RuleEvaluatorModule } from '../../rule-evaluator/src/rule-evaluator.module.js';
import { RuleInjectorModule } from '../../rule-injector/src/rule-injector.module.js';
import { RuleRepairerModule } from '../../rule-repairer/src/rule-repairer.module.js';
import { TransmogrifierModule } from '../../subscriptions/src/subscriptions.module.js';
import { TransferFinisherModule } from '../../transfer-finisher/src/transfer-finisher.module.js';
import { TransferSubmitterModule } from '../../transfer-submitter/src/transfer-submitter.module.js';
import { TransferWorkerModule } from '../../transfer-worker/src/transfer-worker.module.js';
import { UndertakerModule } from '../../undertaker/src/undertaker.module.js';

/**
 * Every daemon of Tarn as a Nest module that registers it with the DaemonRegistry: what embedded mode runs
 * beside the API. In scale-out mode each of them also runs as its own process (apps/<name>).
 */
export const DAEMON_MODULES = [
  MessengerModule,
  RuleEvaluatorModule,
  RuleInjectorModule,
  RuleRepairerModule,
  RuleCleanerModule,
  UndertakerModule,
  TransferSubmitterModule,
  TransferWorkerModule,
  TransferFinisherModule,
  ReplicaRegistrarModule,
  ReaperModule,
  AuditorModule,
  IngesterModule,
  TransmogrifierModule,
];
