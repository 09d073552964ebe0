import { Account, AccountAttribute, Identity, IdentityAccount, LoginThrottle, Scope, ScopeGrant, Token } from './account.entity.js';
import { AccountExpressionLimit, AccountLimit, AccountUsage } from './account-limit.entity.js';
import { Content, DeletedDid, Did, DidMeta, UpdatedDid } from './did.entity.js';
import { Config, EventConsumerOffset, Heartbeat, OutboxMessage, ProcessedEvent, Trace } from './operations.entity.js';
import { ContentHistory, RuleHistory, RuleHistoryRecent } from './history.entity.js';
import { LifetimeException } from './lifetime-exception.entity.js';
import { BadReplica, QuarantinedReplica, Replica } from './replica.entity.js';
import { ReplicaVerification } from './replica-verification.entity.js';
import { Request, RequestHistory, RequestSource } from './request.entity.js';
import { Distance, Rse, RseAttribute, RseLimit, RseProtocol, RseQosPolicy, RseUsage } from './rse.entity.js';
import { DatasetLock, Lock, Rule } from './rule.entity.js';
import { Subscription } from './subscription.entity.js';
import { Hook, HookDataset, HookRun, IngestedFile } from './hook.entity.js';
import { SubscriptionDid } from './subscription-did.entity.js';
import { ConsistencyRun } from './consistency-run.entity.js';

export * from './account.entity.js';
export * from './account-limit.entity.js';
export * from './did.entity.js';
export * from './operations.entity.js';
export * from './replica.entity.js';
export * from './replica-verification.entity.js';
export * from './request.entity.js';
export * from './rse.entity.js';
export * from './rule.entity.js';
export * from './subscription.entity.js';
export * from './hook.entity.js';
export * from './subscription-did.entity.js';
export * from './consistency-run.entity.js';
export * from './history.entity.js';
export * from './lifetime-exception.entity.js';

export const ENTITIES = [
  Account, AccountAttribute, Identity, IdentityAccount, Token, LoginThrottle, Scope, ScopeGrant,
  Did, DeletedDid, Content, DidMeta, UpdatedDid,
  Rse, RseAttribute, RseProtocol, RseLimit, RseUsage, Distance, RseQosPolicy,
  Replica, BadReplica, QuarantinedReplica, ReplicaVerification, ConsistencyRun,
  Rule, Lock, DatasetLock, RuleHistoryRecent, RuleHistory, ContentHistory, LifetimeException,
  Request, RequestHistory, RequestSource,
  Subscription,
  Hook, HookRun, IngestedFile, HookDataset, SubscriptionDid,
  AccountLimit, AccountExpressionLimit, AccountUsage,
  Config, Heartbeat, OutboxMessage, EventConsumerOffset, ProcessedEvent, Trace,
];
