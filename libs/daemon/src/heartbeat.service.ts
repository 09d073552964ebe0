import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  deleteHeartbeat,
  deleteStaleHeartbeats,
  listHeartbeats,
  upsertHeartbeat,
  type HeartbeatKey,
} from '@tarn/catalogue/repositories/operations.index.js';

/** A daemon instance whose heartbeat is older than this is dead (in the API, /health and metrics). */
export const LIVENESS_WINDOW_SECONDS = 120;

export interface DaemonInstanceStatus extends HeartbeatKey {
  createdAt: Date;
  updatedAt: Date;
  ageSeconds: number;
  alive: boolean;
  payload: Record<string, unknown> | null;
}

/** One daemon (executable) over all its instances. */
export interface DaemonSummary {
  daemon: string;
  /** At least one instance is alive. */
  up: boolean;
  alive: number;
  dead: number;
  /** Age of the freshest heartbeat of any instance. */
  lastHeartbeatAgeSeconds: number;
}

export function isAlive(ageSeconds: number): boolean {
  return ageSeconds < LIVENESS_WINDOW_SECONDS;
}

export function summarize(instances: DaemonInstanceStatus[]): DaemonSummary[] {
  const byDaemon = new Map<string, DaemonSummary>();
  for (const i of instances) {
    const s = byDaemon.get(i.executable) ?? { daemon: i.executable, up: false, alive: 0, dead: 0, lastHeartbeatAgeSeconds: Infinity };
    if (i.alive) s.alive++;
    else s.dead++;
    s.up = s.alive > 0;
    s.lastHeartbeatAgeSeconds = Math.min(s.lastHeartbeatAgeSeconds, i.ageSeconds);
    byDaemon.set(i.executable, s);
  }
  return [...byDaemon.values()];
}

/** The heartbeats table: written by the daemon runner, read by the API (GET /heartbeats), /health and metrics. */
@Injectable()
export class HeartbeatService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async beat(key: HeartbeatKey, payload: Record<string, unknown> | null = null): Promise<void> {
    await upsertHeartbeat(this.dataSource.manager, key, payload);
  }

  async remove(key: HeartbeatKey): Promise<void> {
    await deleteHeartbeat(this.dataSource.manager, key);
  }

  /** Every daemon instance with a heartbeat row, with its liveness verdict (by the database clock). */
  async list(executable?: string): Promise<DaemonInstanceStatus[]> {
    const rows = await listHeartbeats(this.dataSource.manager, executable);
    return rows.map((row) => ({ ...row, alive: isAlive(row.ageSeconds) }));
  }

  /** Only the live instances. */
  async listLive(executable?: string): Promise<DaemonInstanceStatus[]> {
    return (await this.list(executable)).filter((i) => i.alive);
  }

  async summary(): Promise<DaemonSummary[]> {
    return summarize(await this.list());
  }

  /** Forgets instances silent for longer than `olderThanSeconds` (default a day); they show as dead until then. */
  async forgetDead(olderThanSeconds = 86_400): Promise<number> {
    return deleteStaleHeartbeats(this.dataSource.manager, olderThanSeconds);
  }
}
