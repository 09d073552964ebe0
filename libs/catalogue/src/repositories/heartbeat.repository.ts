import { EntityManager } from 'typeorm';

/** One daemon instance: Rucio's heartbeat key. */
export interface HeartbeatKey {
  executable: string;
  hostname: string;
  pid: number;
  thread: string;
}

export interface HeartbeatRecord extends HeartbeatKey {
  payload: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  /** Seconds since updated_at, by the database's clock (no skew between hosts). */
  ageSeconds: number;
  /** The instance's own liveness window (payload `deadAfterSeconds`), or `defaultDeadAfterSeconds` for rows without one. */
  deadAfterSeconds: number;
}

/** When dead instances are cleared (see heartbeat.config.ts in libs/daemon). */
export interface HeartbeatForgetting {
  /** Dead rows this old go once another instance of the same daemon is alive. */
  afterSeconds: number;
  /** Dead rows this old go in any case. */
  unreplacedAfterSeconds: number;
  /** Liveness window of rows that do not record their own. */
  defaultDeadAfterSeconds: number;
}

/** payload->deadAfterSeconds when it is a number, else the default ($n). */
const deadAfter = (alias: string, param: string) =>
  `(CASE WHEN jsonb_typeof(${alias}.payload->'deadAfterSeconds') = 'number' THEN (${alias}.payload->>'deadAfterSeconds')::float8 ELSE ${param}::float8 END)`;

/**
 * Creates or refreshes the row of one daemon instance (updated_at = now()) and, in the same statement, clears dead
 * instances: those silent for `afterSeconds` whose daemon has a live instance again, and any silent for
 * `unreplacedAfterSeconds`. Answers how many dead rows it cleared.
 */
export async function upsertHeartbeat(
  manager: EntityManager,
  key: HeartbeatKey,
  payload: Record<string, unknown> | null,
  forget: HeartbeatForgetting,
): Promise<number> {
  const [{ forgotten }]: { forgotten: number }[] = await manager.query(
    `WITH beat AS (
       INSERT INTO heartbeats (executable, hostname, pid, thread, payload) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (executable, hostname, pid, thread) DO UPDATE SET updated_at = now(), payload = EXCLUDED.payload
       RETURNING 1
     ), forgotten AS (
       DELETE FROM heartbeats h
        WHERE NOT (h.executable = $1 AND h.hostname = $2 AND h.pid = $3 AND h.thread = $4)
          AND h.updated_at < now() - make_interval(secs => $6)
          AND (h.updated_at < now() - make_interval(secs => $7)
               OR EXISTS (SELECT 1 FROM heartbeats l
                           WHERE l.executable = h.executable
                             AND l.updated_at >= now() - make_interval(secs => ${deadAfter('l', '$8')})))
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM forgotten)::int AS forgotten, (SELECT count(*) FROM beat)::int AS beats`,
    [
      key.executable,
      key.hostname,
      key.pid,
      key.thread,
      payload === null ? null : JSON.stringify(payload),
      forget.afterSeconds,
      forget.unreplacedAfterSeconds,
      forget.defaultDeadAfterSeconds,
    ],
  );
  return forgotten;
}

export async function deleteHeartbeat(manager: EntityManager, key: HeartbeatKey): Promise<void> {
  await manager.query(`DELETE FROM heartbeats WHERE executable = $1 AND hostname = $2 AND pid = $3 AND thread = $4`, [
    key.executable,
    key.hostname,
    key.pid,
    key.thread,
  ]);
}

/** Every heartbeat row (optionally of one executable), ordered by executable, host, pid and thread. */
export async function listHeartbeats(manager: EntityManager, defaultDeadAfterSeconds: number, executable?: string): Promise<HeartbeatRecord[]> {
  const rows: (Omit<HeartbeatRecord, 'ageSeconds' | 'deadAfterSeconds'> & { ageSeconds: string; deadAfterSeconds: string })[] = await manager.query(
    `SELECT executable, hostname, pid, thread, payload, created_at AS "createdAt", updated_at AS "updatedAt",
            EXTRACT(EPOCH FROM now() - updated_at) AS "ageSeconds", ${deadAfter('heartbeats', '$2')} AS "deadAfterSeconds"
       FROM heartbeats
      WHERE ($1::varchar IS NULL OR executable = $1)
      ORDER BY executable, hostname, pid, thread`,
    [executable ?? null, defaultDeadAfterSeconds],
  );
  return rows.map((row) => ({ ...row, ageSeconds: Math.max(0, Number(row.ageSeconds)), deadAfterSeconds: Number(row.deadAfterSeconds) }));
}
