import type { EntityManager } from 'typeorm';

/** Work waiting in the catalogue, as counts and the age of the oldest item. */
export interface BacklogRow {
  updatedDids: number;
  oldestUpdatedDidSeconds: number | null;
  /** Transfer requests by state letter (Q, S, W, ...): the ones still to do. */
  requestsByState: Record<string, number>;
  oldestQueuedSeconds: number | null;
  verifications: number;
  verificationsDue: number;
  oldestVerificationSeconds: number | null;
}

export interface TombstonesDueRow {
  rseId: string;
  rse: string;
  due: number;
  bytes: number;
}

export interface OutboxLagRow {
  /** Events not yet published to Kafka (the messenger's backlog). */
  unpublished: number;
  oldestUnpublishedSeconds: number | null;
}

export interface ConsumerLagRow {
  group: string;
  topic: string;
  /** Events after the group's position, counted up to CONSUMER_LAG_CAP. */
  behind: number;
  oldestSeconds: number | null;
}

export interface HourlyCountRow {
  hour: Date;
  kind: string;
  count: number;
  bytes: number;
}

export interface ReasonRow {
  reason: string;
  count: number;
  example: string;
  last: Date;
}

export interface RseAuditRow {
  rseId: string;
  state: string;
  startedAt: Date;
  finishedAt: Date | null;
  dark: number;
  missing: number;
  error: string | null;
}

export interface RseProtocolSummaryRow {
  rseId: string;
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
}

/** How far a consumer group's lag is counted: past it the page says "more than". */
export const CONSUMER_LAG_CAP = 100_000;

const n = (value: unknown): number => Number(value ?? 0);
const seconds = (value: unknown): number | null => (value === null || value === undefined ? null : Math.max(0, Math.round(Number(value))));

/**
 * Aggregates over the catalogue for the web UI's overview and for gauges: every query is one statement, answered from
 * an index or a small table, so that an overview of a catalogue of millions of replicas stays fast.
 */
export const overviewRepository = {
  async backlog(manager: EntityManager): Promise<BacklogRow> {
    const [row] = await manager.query(
      `SELECT (SELECT count(*) FROM updated_dids) AS updated_dids,
              (SELECT extract(epoch FROM now() - min(created_at)) FROM updated_dids) AS oldest_updated_did,
              (SELECT coalesce(json_object_agg(state, n), '{}'::json)
                 FROM (SELECT state::text AS state, count(*) AS n FROM requests WHERE request_type = 'T' GROUP BY state) s) AS requests,
              (SELECT extract(epoch FROM now() - min(created_at)) FROM requests WHERE request_type = 'T' AND state = 'Q') AS oldest_queued,
              (SELECT count(*) FROM replica_verifications) AS verifications,
              (SELECT count(*) FROM replica_verifications WHERE not_before <= now()) AS verifications_due,
              (SELECT extract(epoch FROM now() - min(created_at)) FROM replica_verifications) AS oldest_verification`,
    );
    const requests = row.requests as Record<string, string | number>;
    return {
      updatedDids: n(row.updated_dids),
      oldestUpdatedDidSeconds: seconds(row.oldest_updated_did),
      requestsByState: Object.fromEntries(Object.entries(requests).map(([state, count]) => [state, n(count)])),
      oldestQueuedSeconds: seconds(row.oldest_queued),
      verifications: n(row.verifications),
      verificationsDue: n(row.verifications_due),
      oldestVerificationSeconds: seconds(row.oldest_verification),
    };
  },

  /** Replicas whose tombstone has passed, per live RSE (an index range per RSE: replicas_rse_tombstone_idx). */
  async tombstonesDue(manager: EntityManager): Promise<TombstonesDueRow[]> {
    const rows = await manager.query(
      `SELECT r.id, r.rse, t.due, t.bytes
         FROM rses r
         CROSS JOIN LATERAL (SELECT count(*) AS due, coalesce(sum(p.bytes), 0) AS bytes
                               FROM replicas p WHERE p.rse_id = r.id AND p.tombstone <= now()) t
        WHERE NOT r.deleted ORDER BY r.rse`,
    );
    return rows.map((r: Record<string, unknown>) => ({ rseId: String(r.id), rse: String(r.rse), due: n(r.due), bytes: n(r.bytes) }));
  },

  /** The messenger's backlog: events written but not yet published to Kafka. */
  async outboxLag(manager: EntityManager): Promise<OutboxLagRow> {
    const [row] = await manager.query(
      `SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS oldest FROM outbox_messages WHERE state = 'P'`,
    );
    return { unpublished: n(row.n), oldestUnpublishedSeconds: seconds(row.oldest) };
  },

  /** With the PostgreSQL event bus: how far each consumer group is behind on each topic. */
  async consumerLag(manager: EntityManager): Promise<ConsumerLagRow[]> {
    const rows = await manager.query(
      `SELECT c.group_name, c.topic, sum(b.behind) AS behind, extract(epoch FROM now() - min(b.oldest)) AS oldest
         FROM event_consumer_offsets c
         CROSS JOIN LATERAL (SELECT count(*) AS behind, min(o.created_at) AS oldest
                               FROM (SELECT created_at FROM outbox_messages o
                                      WHERE o.id > c.last_id AND o.topic = c.topic ORDER BY o.id LIMIT $1) o) b
        GROUP BY c.group_name, c.topic ORDER BY c.group_name, c.topic`,
      [CONSUMER_LAG_CAP],
    );
    return rows.map((r: Record<string, unknown>) => ({
      group: String(r.group_name),
      topic: String(r.topic),
      behind: n(r.behind),
      oldestSeconds: seconds(r.oldest),
    }));
  },

  /** Rules by state letter. */
  async rulesByState(manager: EntityManager): Promise<Record<string, number>> {
    const rows = await manager.query(`SELECT state::text AS state, count(*) AS n FROM rules GROUP BY state`);
    return Object.fromEntries(rows.map((r: { state: string; n: string }) => [r.state, n(r.n)]));
  },

  /** The MinFreeSpace limit of each live RSE that has one (bytes). */
  async minFreeSpace(manager: EntityManager): Promise<{ rse: string; bytes: number }[]> {
    const rows = await manager.query(
      `SELECT r.rse, l.value FROM rse_limits l JOIN rses r ON r.id = l.rse_id WHERE l.name = 'MinFreeSpace' AND NOT r.deleted ORDER BY r.rse`,
    );
    return rows.map((r: { rse: string; value: string }) => ({ rse: r.rse, bytes: n(r.value) }));
  },

  /** Replica locks by state letter. */
  async locksByState(manager: EntityManager): Promise<Record<string, number>> {
    const rows = await manager.query(`SELECT state::text AS state, count(*) AS n FROM locks GROUP BY state`);
    return Object.fromEntries(rows.map((r: { state: string; n: string }) => [r.state, n(r.n)]));
  },

  /** Finished transfer attempts per hour since `since`, by final state letter (requests_history_updated_at_idx). */
  async transfersPerHour(manager: EntityManager, since: Date): Promise<HourlyCountRow[]> {
    const rows = await manager.query(
      `SELECT date_trunc('hour', updated_at) AS hour, state::text AS kind, count(*) AS n, coalesce(sum(bytes), 0) AS bytes
         FROM requests_history WHERE updated_at >= $1 AND request_type = 'T'
        GROUP BY 1, 2 ORDER BY 1`,
      [since],
    );
    return rows.map(hourly);
  },

  /** Transfer attempts done and failed since `since` (the problems' rolling last hour). */
  async transferAttemptsSince(manager: EntityManager, since: Date): Promise<{ done: number; failed: number }> {
    const [row] = await manager.query(
      `SELECT count(*) FILTER (WHERE state = 'D') AS done, count(*) FILTER (WHERE state <> 'D') AS failed
         FROM requests_history WHERE updated_at >= $1 AND request_type = 'T'`,
      [since],
    );
    return { done: n(row.done), failed: n(row.failed) };
  },

  /**
   * Failed transfer attempts since `since`, grouped by their error with paths, numbers and ids taken out (so that
   * one cause on many files is one group), largest groups first; attempts on `excludeScopes` are left out.
   */
  async transferFailureReasons(manager: EntityManager, since: Date, excludeScopes: readonly string[], limit: number): Promise<ReasonRow[]> {
    const rows = await manager.query(
      `SELECT reason, count(*) AS n, min(err_msg) AS example, max(updated_at) AS last
         FROM (SELECT err_msg, updated_at,
                      left(regexp_replace(coalesce(err_msg, 'no error recorded'),
                                          '(''[^'']*''|"[^"]*"|[a-z][a-z0-9+.-]*://\\S+|/\\S+|[0-9a-f]{8,}|\\d+)', '…', 'gi'), 300) AS reason
                 FROM requests_history
                WHERE updated_at >= $1 AND request_type = 'T' AND state <> 'D' AND NOT (scope = ANY($2::varchar[]))) f
        GROUP BY reason ORDER BY n DESC, reason LIMIT $3`,
      [since, excludeScopes, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({ reason: String(r.reason), count: n(r.n), example: String(r.example ?? ''), last: r.last as Date }));
  },

  /** Deletions per hour since `since` ('deletion.done' and 'deletion.failed' events; outbox_messages_deletions_idx). */
  async deletionsPerHour(manager: EntityManager, since: Date): Promise<HourlyCountRow[]> {
    const rows = await manager.query(
      `SELECT date_trunc('hour', created_at) AS hour, event_type AS kind, count(*) AS n,
              coalesce(sum((payload->>'bytes')::bigint), 0) AS bytes
         FROM outbox_messages
        WHERE event_type IN ('deletion.done', 'deletion.failed') AND created_at >= $1
        GROUP BY 1, 2 ORDER BY 1`,
      [since],
    );
    return rows.map(hourly);
  },

  /** The last audit of each RSE (consistency_runs_rse_started_idx). */
  async lastAudits(manager: EntityManager): Promise<RseAuditRow[]> {
    const rows = await manager.query(
      `SELECT DISTINCT ON (rse_id) rse_id, state, started_at, finished_at, dark, missing, error
         FROM consistency_runs ORDER BY rse_id, started_at DESC`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      rseId: String(r.rse_id),
      state: String(r.state),
      startedAt: r.started_at as Date,
      finishedAt: (r.finished_at as Date | null) ?? null,
      dark: n(r.dark),
      missing: n(r.missing),
      error: (r.error as string | null) ?? null,
    }));
  },

  async protocols(manager: EntityManager): Promise<RseProtocolSummaryRow[]> {
    const rows = await manager.query(`SELECT rse_id, scheme, hostname, port, prefix FROM rse_protocols ORDER BY rse_id, scheme, hostname, port`);
    return rows.map((r: Record<string, unknown>) => ({
      rseId: String(r.rse_id),
      scheme: String(r.scheme),
      hostname: String(r.hostname),
      port: n(r.port),
      prefix: String(r.prefix ?? ''),
    }));
  },
};

function hourly(r: Record<string, unknown>): HourlyCountRow {
  return { hour: r.hour as Date, kind: String(r.kind), count: n(r.n), bytes: n(r.bytes) };
}
