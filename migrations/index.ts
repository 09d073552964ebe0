// Written by `npm run migration:generate`: every migration, in the order it was generated.
import { Catalogue1795318698080 } from './1795318698080-Catalogue.js';
import { DidMetaGinIndex1795318698081 } from './1795318698081-DidMetaGinIndex.js';
import { EventConsumers1795321153535 } from './1795321153535-EventConsumers.js';
import { ReplicaVerifications1795327441403 } from './1795327441403-ReplicaVerifications.js';
import { IngestHooks1795327506391 } from './1795327506391-IngestHooks.js';
import { ConsistencyRuns1795328159495 } from './1795328159495-ConsistencyRuns.js';
import { RucioCompatibility1796430316138 } from './1796430316138-RucioCompatibility.js';
import { RuleAndContentHistoryTriggers1796430316139 } from './1796430316139-RuleAndContentHistoryTriggers.js';
import { LockReasons1796434236639 } from './1796434236639-LockReasons.js';
import { CopyMethodOfTransfers1796434481527 } from './1796434481527-CopyMethodOfTransfers.js';
import { LoginThrottle1796435117633 } from './1796435117633-LoginThrottle.js';
import { QosClassIsTheQosAttribute1796437330199 } from './1796437330199-QosClassIsTheQosAttribute.js';
import { AddOverviewIndexes1796437507739 } from './1796437507739-AddOverviewIndexes.js';
import { OnePathOneReplica1796449056807 } from './1796449056807-OnePathOneReplica.js';
import { WebSessionGroups1796461493348 } from './1796461493348-WebSessionGroups.js';
import { RequestHistoryFailuresIndex1796519024286 } from './1796519024286-RequestHistoryFailuresIndex.js';
import { QueuedRequestPickIndex1796528713727 } from './1796528713727-QueuedRequestPickIndex.js';
import { ReplicaFillfactor1796538960516 } from './1796538960516-ReplicaFillfactor.js';

export const MIGRATIONS: Function[] = [Catalogue1795318698080, DidMetaGinIndex1795318698081, EventConsumers1795321153535, ReplicaVerifications1795327441403, IngestHooks1795327506391, ConsistencyRuns1795328159495, RucioCompatibility1796430316138, RuleAndContentHistoryTriggers1796430316139, LockReasons1796434236639, CopyMethodOfTransfers1796434481527, LoginThrottle1796435117633, QosClassIsTheQosAttribute1796437330199, AddOverviewIndexes1796437507739, OnePathOneReplica1796449056807, WebSessionGroups1796461493348, RequestHistoryFailuresIndex1796519024286, QueuedRequestPickIndex1796528713727, ReplicaFillfactor1796538960516];
