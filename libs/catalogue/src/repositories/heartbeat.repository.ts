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
}

/** Creates or refreshes the row of one daemon instance (updated_at = now()). */
export async function upsertHeartbeat(
  manager: EntityManager,
  key: HeartbeatKey,
  payload: Record<string, unknown> | null = null,
): Promise<void> {
  await manager.query(
    `INSERT INTO heartbeats (executable, hostname, pid, thread, payload) VALUES ($1, $2, $3, $4, $5::jsonb)
     ON CONFLICT (executable, hostname, pid, thread) DO UPDATE SET updated_at = now(), payload = EXCLUDED.payload`,
    [key.executable, key.hostname, key.pid, key.thread, payload === null ? null : JSON.stringify(payload)],
  );
}

export async function deleteHeartbeat(manager: EntityManager, key: HeartbeatKey): Promise<void> {
  await manager.query(`DELETE FROM heartbeats WHERE executable = $1 AND hostname = $2 AND pid = $3 AND thread = $4`, [
    key.executable,
    key.hostname,
    key.pid,
    key.thread,
  ]);
}

/** Every heartbeat row (optionally of one executable), oldest executable name first. */
export async function listHeartbeats(manager: EntityManager, executable?: string): Promise<HeartbeatRecord[]> {
  const rows: (Omit<HeartbeatRecord, 'ageSeconds'> & { ageSeconds: string })[] = await manager.query(
    `SELECT executable, hostname, pid, thread, payload, created_at AS "createdAt", updated_at AS "updatedAt",
            EXTRACT(EPOCH FROM now() - updated_at) AS "ageSeconds"
       FROM heartbeats
      WHERE ($1::varchar IS NULL OR executable = $1)
      ORDER BY executable, hostname, pid, thread`,
    [executable ?? null],
  );
  return rows.map((row) => ({ ...row, ageSeconds: Math.max(0, Number(row.ageSeconds)) }));
}

/** Removes rows of instances silent for longer than `olderThanSeconds` (crashed daemons); returns how many. */
export async function deleteStaleHeartbeats(manager: EntityManager, olderThanSeconds: number): Promise<number> {
  const [, deleted]: [unknown[], number] = await manager.query(
    `DELETE FROM heartbeats WHERE updated_at < now() - make_interval(secs => $1)`,
    [olderThanSeconds],
  );
  return deleted;
}
