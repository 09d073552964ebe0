import { Gauge, type Registry } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { overviewRepository, type ConsumerLagRow } from '@tarn/catalogue/repositories/overview.repository.js';
import type { KafkaGroupLag } from '@tarn/events';
import { LockState, RequestState, RuleState } from '@tarn/domain';
import { readBacklog } from './overview.service.js';
import type { Backlog } from './overview.types.js';

/** What the catalogue gauges show: read in one go, at most once per cache period. */
export interface CatalogueSnapshot {
  backlog: Backlog;
  rulesByState: Record<string, number>;
  locksByState: Record<string, number>;
  minFreeSpace: { rse: string; bytes: number }[];
}

/** How long one reading of the catalogue serves scrapes (a Prometheus scrape interval is 15 s by default). */
export const CATALOGUE_METRICS_TTL_MS = 15_000;

/**
 * The reading of the gauges. With Kafka (`kafka` true) the consumer groups' lag comes from the brokers through
 * `kafkaLag` (in events: Kafka does not tell the age of the oldest unread message); a Kafka that does not answer leaves
 * those gauges out of that reading, not the catalogue's.
 */
export function readCatalogueSnapshot(manager: EntityManager, kafka: boolean, kafkaLag?: () => Promise<KafkaGroupLag[]>): () => Promise<CatalogueSnapshot> {
  const kafkaConsumers = async (): Promise<ConsumerLagRow[]> =>
    kafka && kafkaLag ? (await kafkaLag().catch(() => [])).map((l) => ({ group: l.group, topic: l.topic, behind: l.behind, oldestSeconds: null })) : [];
  return async () => {
    const [backlog, rulesByState, locksByState, minFreeSpace, consumers] = await Promise.all([
      readBacklog(manager, kafka),
      overviewRepository.rulesByState(manager),
      overviewRepository.locksByState(manager),
      overviewRepository.minFreeSpace(manager),
      kafkaConsumers(),
    ]);
    return { backlog: kafka ? { ...backlog, consumers } : backlog, rulesByState, locksByState, minFreeSpace };
  };
}

/** State letters to the names a dashboard shows; every state is exported, 0 when nothing is in it. */
const stateNames = <T extends Record<string, string>>(states: T): [string, string][] =>
  Object.entries(states).map(([name, letter]) => [letter, name]);
const RULE_STATES = stateNames(RuleState);
const LOCK_STATES = stateNames(LockState);
const REQUEST_STATES = stateNames(RequestState);

/**
 * Gauges of the catalogue as a whole (Prometheus): rules and locks by state, transfer requests by state, and the
 * backlogs (changed DIDs, verifications, tombstones due per RSE, outbox lag with Kafka, consumer lag of either bus). Each scrape within the cache
 * period reuses one reading (a handful of set-based statements), whatever the number of gauges; labels are states,
 * RSE names, consumer groups and topics, never DIDs.
 */
export class CatalogueMetrics {
  private cached: { at: number; value: Promise<CatalogueSnapshot | null> } | null = null;

  constructor(
    registry: Registry,
    private readonly source: () => Promise<CatalogueSnapshot>,
    private readonly ttlMs = CATALOGUE_METRICS_TTL_MS,
  ) {
    const self = this;
    const registers = [registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, s: CatalogueSnapshot) => void) => {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
      return new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const snapshot = await self.snapshot();
          this.reset();
          if (snapshot) fill(this, snapshot);
        },
      });
    };
    const byState = (states: [string, string][], counts: Record<string, number>, set: (state: string, n: number) => void) => {
      for (const [letter, name] of states) set(name, counts[letter] ?? 0);
    };
    const age = (value: number | null) => value ?? 0;

    if (registry.getSingleMetric('tarn_catalogue_up')) registry.removeSingleMetric('tarn_catalogue_up');
    new Gauge({
      name: 'tarn_catalogue_up',
      help: '1 when the last reading of the catalogue for these gauges succeeded, 0 when it failed',
      registers,
      async collect() {
        this.set((await self.snapshot()) ? 1 : 0);
      },
    });
    gauge('tarn_rules', 'Replication rules by state', ['state'], (g, s) => byState(RULE_STATES, s.rulesByState, (state, n) => g.set({ state }, n)));
    gauge('tarn_locks', 'Replica locks by state', ['state'], (g, s) => byState(LOCK_STATES, s.locksByState, (state, n) => g.set({ state }, n)));
    gauge('tarn_transfer_requests', 'Transfer requests not yet archived, by state', ['state'], (g, s) =>
      byState(REQUEST_STATES, s.backlog.requestsByState, (state, n) => g.set({ state }, n)),
    );
    gauge('tarn_transfer_queued_oldest_seconds', 'Age of the oldest queued transfer request (0 when none)', [], (g, s) =>
      g.set(age(s.backlog.oldestQueuedSeconds)),
    );
    gauge('tarn_updated_dids', 'Changed DIDs waiting for the rule-evaluator', [], (g, s) => g.set(s.backlog.updatedDids));
    gauge('tarn_updated_dids_oldest_seconds', 'Age of the oldest changed DID waiting for the rule-evaluator (0 when none)', [], (g, s) =>
      g.set(age(s.backlog.oldestUpdatedDidSeconds)),
    );
    gauge('tarn_verifications_pending', 'Replicas waiting for verification (all of them, and those due now)', ['when'], (g, s) => {
      g.set({ when: 'all' }, s.backlog.verifications);
      g.set({ when: 'due' }, s.backlog.verificationsDue);
    });
    gauge('tarn_verifications_oldest_seconds', 'Age of the oldest replica waiting for verification (0 when none)', [], (g, s) =>
      g.set(age(s.backlog.oldestVerificationSeconds)),
    );
    gauge('tarn_rse_min_free_bytes', 'The MinFreeSpace limit of the RSE: the reaper deletes replicas with a tombstone below it', ['rse'], (g, s) => {
      for (const l of s.minFreeSpace) g.set({ rse: l.rse }, l.bytes);
    });
    gauge('tarn_tombstones_due', 'Replicas whose tombstone has passed, per RSE (the reaper may delete them)', ['rse'], (g, s) => {
      for (const t of s.backlog.tombstonesDue) g.set({ rse: t.rse }, t.due);
    });
    gauge('tarn_tombstones_due_bytes', 'Bytes of the replicas whose tombstone has passed, per RSE', ['rse'], (g, s) => {
      for (const t of s.backlog.tombstonesDue) g.set({ rse: t.rse }, t.bytes);
    });
    // How many are unpublished is the messenger's tarn_outbox_pending.
    gauge('tarn_outbox_lag_seconds', 'Kafka event bus: age of the oldest event not yet published by the messenger (0 when none)', [], (g, s) => {
      if (s.backlog.outbox) g.set(age(s.backlog.outbox.oldestUnpublishedSeconds));
    });
    gauge('tarn_event_consumer_lag_events', 'Events a consumer group has yet to handle, per topic (Kafka: high watermark less committed offset)', ['group', 'topic'], (g, s) => {
      for (const c of s.backlog.consumers) g.set({ group: c.group, topic: c.topic }, c.behind);
    });
    gauge('tarn_event_consumer_lag_seconds', 'PostgreSQL event bus: age of the oldest event a consumer group has yet to handle', ['group', 'topic'], (g, s) => {
      for (const c of s.backlog.consumers) if (c.oldestSeconds !== null || c.behind === 0) g.set({ group: c.group, topic: c.topic }, age(c.oldestSeconds));
    });
  }

  /** One reading per cache period for every gauge and every scrape; null while the catalogue cannot be read. */
  private snapshot(): Promise<CatalogueSnapshot | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      this.cached = { at: now, value: this.source().catch(() => null) };
    }
    return this.cached.value;
  }
}
