import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  deleteHeartbeat,
  listHeartbeats,
  upsertHeartbeat,
  type HeartbeatKey,
} from '@tarn/catalogue/repositories/operations.index.js';
import { FORGET_UNREPLACED_SECONDS, loadHeartbeatSettings, type HeartbeatSettings } from './heartbeat.config.js';

/** Injection token of the HeartbeatSettings (default: from the environment). */
export const HEARTBEAT_SETTINGS = Symbol('HEARTBEAT_SETTINGS');

/** Liveness window of heartbeat rows that do not record their own (written by something other than the daemon runner). */
export const DEFAULT_DEAD_AFTER_SECONDS = 30;

/** What a daemon instance says about itself in its heartbeat's payload (besides its own fields). */
export interface InstancePayload extends Record<string, unknown> {
  /** It is dead once silent this long (3 heartbeat intervals). */
  deadAfterSeconds: number;
  startedAt: string;
  /** Port of its health and metrics server on its host, null without one. */
  metricsPort: number | null;
  /** It reached the catalogue and its event bus. */
  ready: boolean;
  passes: number;
  /** Consecutive failed passes. */
  failures: number;
  lastError: string | null;
  /** The process's clock as it sent the beat: against the row's updated_at (the catalogue's clock) it tells the skew. */
  clock: string;
}

export interface DaemonInstanceStatus extends HeartbeatKey {
  createdAt: Date;
  updatedAt: Date;
  ageSeconds: number;
  deadAfterSeconds: number;
  alive: boolean;
  payload: Record<string, unknown> | null;
}

/** One daemon (executable) over all its instances. */
export interface DaemonSummary {
  daemon: string;
  /** Every instance with a heartbeat is alive (a dead one counts until it is cleared). */
  up: boolean;
  alive: number;
  dead: number;
  /** Age of the freshest heartbeat of any instance. */
  lastHeartbeatAgeSeconds: number;
}

export function summarize(instances: DaemonInstanceStatus[]): DaemonSummary[] {
  const byDaemon = new Map<string, DaemonSummary>();
  for (const i of instances) {
    const s = byDaemon.get(i.executable) ?? { daemon: i.executable, up: false, alive: 0, dead: 0, lastHeartbeatAgeSeconds: Infinity };
    if (i.alive) s.alive++;
    else s.dead++;
    s.up = s.alive > 0 && s.dead === 0;
    s.lastHeartbeatAgeSeconds = Math.min(s.lastHeartbeatAgeSeconds, i.ageSeconds);
    byDaemon.set(i.executable, s);
  }
  return [...byDaemon.values()];
}

/**
 * The heartbeats table: written by the daemon runner, read by the API (GET /heartbeats), /health and metrics.
 * An instance is alive while its last beat is younger than its own window (3 beats, 30 s by default); a dead one is
 * shown as dead, then cleared (heartbeat.config.ts) by the beats of the instances still alive.
 */
@Injectable()
export class HeartbeatService {
  readonly settings: HeartbeatSettings;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(HEARTBEAT_SETTINGS) settings?: HeartbeatSettings,
  ) {
    this.settings = settings ?? loadHeartbeatSettings();
  }

  /** Writes the instance's heartbeat and clears instances dead for long enough; answers how many it cleared. */
  async beat(key: HeartbeatKey, payload: Record<string, unknown> | null = null): Promise<number> {
    return upsertHeartbeat(this.dataSource.manager, key, payload, {
      afterSeconds: this.settings.forgetAfterSeconds,
      unreplacedAfterSeconds: Math.max(FORGET_UNREPLACED_SECONDS, this.settings.forgetAfterSeconds),
      defaultDeadAfterSeconds: DEFAULT_DEAD_AFTER_SECONDS,
    });
  }

  /** Throws when the catalogue does not answer. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async remove(key: HeartbeatKey): Promise<void> {
    await deleteHeartbeat(this.dataSource.manager, key);
  }

  /** Every daemon instance with a heartbeat row, with its liveness verdict (by the database clock). */
  async list(executable?: string): Promise<DaemonInstanceStatus[]> {
    const rows = await listHeartbeats(this.dataSource.manager, DEFAULT_DEAD_AFTER_SECONDS, executable);
    return rows.map((row) => ({ ...row, alive: row.ageSeconds < row.deadAfterSeconds }));
  }

  /** Only the live instances. */
  async listLive(executable?: string): Promise<DaemonInstanceStatus[]> {
    return (await this.list(executable)).filter((i) => i.alive);
  }

  async summary(): Promise<DaemonSummary[]> {
    return summarize(await this.list());
  }
}
