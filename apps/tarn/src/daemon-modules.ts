import type { Type } from '@nestjs/common';
import { AuditorModule } from '../../auditor/src/auditor.module.js';
import { IngesterModule } from '../../ingester/src/ingester.module.js';
import { KronosModule } from '../../kronos/src/kronos.module.js';
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
import { DAEMONS, type DaemonName } from './daemon-list.js';

/** The Nest module of each daemon (it registers the daemon with the DaemonRegistry); one per name of the list. */
const MODULES: Record<DaemonName, Type<unknown>> = {
  messenger: MessengerModule,
  'rule-evaluator': RuleEvaluatorModule,
  'rule-injector': RuleInjectorModule,
  'rule-repairer': RuleRepairerModule,
  'rule-cleaner': RuleCleanerModule,
  undertaker: UndertakerModule,
  'transfer-submitter': TransferSubmitterModule,
  'transfer-worker': TransferWorkerModule,
  'transfer-finisher': TransferFinisherModule,
  'replica-registrar': ReplicaRegistrarModule,
  reaper: ReaperModule,
  auditor: AuditorModule,
  ingester: IngesterModule,
  transmogrifier: TransmogrifierModule,
  kronos: KronosModule,
};

/** Every daemon of the list as a Nest module: what embedded mode runs beside the API. */
export const DAEMON_MODULES = DAEMONS.map((daemon) => MODULES[daemon.name]);
