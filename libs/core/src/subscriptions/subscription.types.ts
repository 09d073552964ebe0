import type { SubscriptionState } from '@tarn/domain';
import type { RuleTemplate } from './rule-template.js';

/** Rucio's subscription options (POST/PUT /subscriptions/{account}/{name} {"options": {...}}). */
export interface SubscriptionOptions {
  filter?: Record<string, unknown>;
  replication_rules?: unknown[];
  comments?: string | null;
  /** Days from now (as in Rucio) after which the subscription stops (INACTIVE); null or false: never. */
  lifetime?: number | null | false;
  retroactive?: boolean;
  dry_run?: boolean;
  priority?: number;
  /** ACTIVE, INACTIVE (or A, I) — for updates. */
  state?: string;
}

export interface SubscriptionView {
  id: string;
  name: string;
  account: string;
  state: SubscriptionState;
  filter: Record<string, unknown>;
  replicationRules: RuleTemplate[];
  retroactive: boolean;
  comments: string | null;
  /** The priority of the rules it makes, 1 to 5 (Rucio's policyid). */
  priority: number;
  lastProcessed: Date | null;
  expiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
