import { hostname } from 'node:os';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { pendingMigrations } from '@tarn/catalogue';
import { NotFound } from '@tarn/domain';
import { listAllRseProtocols } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { createKafkaClient, loadEventsSettings, readKafkaState } from '@tarn/events';
import { settleBounded } from '../bounded.js';
import { BACKLOG_LIMITS, OverviewService, readBacklog } from '../overview/overview.service.js';
import type { RseOverview } from '../overview/overview.types.js';
import { clockFindings, type DaemonInstance, daemonFindings } from './daemon-findings.js';
import { type CheckRun, type DoctorCheck, type DoctorReport, type Finding, finding } from './doctor.types.js';
import { type OpenProbeStorage, probeProtocol } from './storage-probe.js';
import { spaceFindings } from './space-findings.js';

export interface DoctorOptions {
  /** The daemons of the deployment (the one list of daemons) and their instances' heartbeats (null: unreadable). */
  daemons: { expected: readonly string[]; instances: readonly DaemonInstance[] | null };
  /** Probe the RSEs' protocols (write, stat, read, checksum and delete a file); false skips it. */
  storage: boolean;
  /** Only this RSE's protocols and space. */
  rse?: string;
}

export interface DoctorSettings {
  /** Each storage operation of a probe is given this long. */
  stepTimeoutMs: number;
  /** Protocols probed at once. */
  concurrency: number;
  /** Kafka and identity providers are given this long to answer. */
  remoteTimeoutMs: number;
  /** No probe starts after this long: the rest are named as not probed (many RSEs behind slow doors). */
  storageBudgetMs: number;
  open?: OpenProbeStorage;
}

export const DEFAULT_DOCTOR_SETTINGS: DoctorSettings = { stepTimeoutMs: 20_000, concurrency: 4, remoteTimeoutMs: 10_000, storageBudgetMs: 120_000 };

/** A Kafka consumer group this far behind with members is worth a look. */
export const KAFKA_LAG_WARNING = 10_000;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * A storage error on an RSE its operators marked unavailable is known: a warning, so that the doctor of a deployment
 * that took a broken RSE out of service exits 0.
 */
function knownUnavailable(f: Finding, rse: { availabilityRead: boolean; availabilityWrite: boolean; availabilityDelete: boolean }): Finding {
  const availability: [string, boolean][] = [['read', rse.availabilityRead], ['write', rse.availabilityWrite], ['delete', rse.availabilityDelete]];
  const off = availability.filter(([, on]) => !on).map(([operation]) => operation);
  if (f.severity !== 'error' || off.length === 0) return f;
  return { ...f, severity: 'warning', what: `${f.what} (the RSE is marked unavailable for ${off.join(', ')})`, fix: `${f.fix.replace(/; meanwhile .*$/, '')}, then make it available again` };
}

/**
 * What `tarn doctor` asks the server (GET /doctor): Tarn's own configuration, the catalogue (reachable, migrations,
 * connections), the event bus (Kafka's topics and consumer groups, or the PostgreSQL bus's consumers; the outbox),
 * every RSE on each of its protocols (a probe file written, stat'ed, read back, checksummed and deleted) and its space
 * against its limits, every daemon's heartbeats, and the clocks of every process against the catalogue's.
 * Answers findings only where something is wrong, each naming the fix.
 */
@Injectable()
export class DoctorService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OverviewService) private readonly overview: OverviewService,
    @Optional() @Inject(TARN_CONFIG) private readonly config?: TarnConfig,
  ) {}

  async report(options: DoctorOptions, settings: DoctorSettings = DEFAULT_DOCTOR_SETTINGS): Promise<DoctorReport> {
    const checks: CheckRun[] = [];
    const findings: Finding[] = [];
    const run = async (check: DoctorCheck, work: () => Promise<{ looked: number; findings: Finding[] }>) => {
      const result = await work();
      checks.push({ check, looked: result.looked });
      findings.push(...result.findings);
    };
    await run('config', () => this.checkConfig(settings));
    const catalogue = await this.checkCatalogue();
    checks.push({ check: 'catalogue', looked: 1 });
    findings.push(...catalogue.findings);
    if (catalogue.reachable) {
      const rses = (await this.overview.rses()).filter((r) => options.rse === undefined || r.name === options.rse);
      if (options.rse !== undefined && rses.length === 0) throw NotFound.rse(options.rse);
      await run('event-bus', () => this.checkEventBus(settings, options.daemons.expected));
      if (options.storage) await run('storage', () => this.checkStorage(settings, rses));
      await run('space', async () => ({ looked: rses.length, findings: rses.flatMap(spaceFindings) }));
    }
    const { expected, instances } = options.daemons;
    if (catalogue.reachable && instances) {
      checks.push({ check: 'daemons', looked: instances.length });
      findings.push(...daemonFindings(instances, expected));
      checks.push({ check: 'clocks', looked: new Set([hostname(), ...instances.map((i) => i.hostname)]).size });
      findings.push(...clockFindings(instances, catalogue.skewSeconds === null ? undefined : { hostname: hostname(), skewSeconds: catalogue.skewSeconds }));
    }
    return { checkedAt: new Date(), checks, findings };
  }

  /** Tarn's settings that can be wrong although it started: the identity providers it trusts must answer. */
  private async checkConfig(settings: DoctorSettings): Promise<{ looked: number; findings: Finding[] }> {
    const issuers = this.config?.oidc?.issuers ?? [];
    const findings: Finding[] = [];
    await Promise.all(
      issuers.map(async (issuer) => {
        const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(settings.remoteTimeoutMs) });
          if (!response.ok) throw new Error(`${url} answered ${response.status}`);
        } catch (error) {
          findings.push(
            finding('config', 'error', issuer, `the identity provider does not answer (${messageOf(error)}): its tokens cannot be checked once its keys are needed`, 'check TARN_OIDC_ISSUERS and that Tarn reaches the provider'),
          );
        }
      }),
    );
    return { looked: 1 + issuers.length, findings };
  }

  /** Reachable, every migration applied, room for more connections; and how far this process's clock is from the database's. */
  private async checkCatalogue(): Promise<{ reachable: boolean; skewSeconds: number | null; findings: Finding[] }> {
    const fix = 'check DATABASE_URL and that PostgreSQL runs (the API answers 503 meanwhile)';
    try {
      const before = Date.now();
      const [row] = await this.dataSource.query(
        `SELECT clock_timestamp() AS now, (SELECT count(*) FROM pg_stat_activity)::int AS connections, current_setting('max_connections')::int AS max`,
      );
      const skewSeconds = ((before + Date.now()) / 2 - new Date(row.now).getTime()) / 1000;
      const findings: Finding[] = [];
      const pending = await pendingMigrations(this.dataSource);
      if (pending.length > 0) {
        findings.push(finding('catalogue', 'error', null, `${pending.length} migration(s) not applied: ${pending.join(', ')}`, 'run npm run migrate (safe while Tarn runs), then restart the processes that refused to start'));
      }
      if (row.connections >= 0.8 * row.max) {
        findings.push(finding('catalogue', 'warning', null, `${row.connections} of PostgreSQL's ${row.max} connections are in use`, "raise max_connections or lower Tarn's pool sizes (or put a pooler such as PgBouncer in front)"));
      }
      return { reachable: true, skewSeconds, findings };
    } catch (error) {
      return { reachable: false, skewSeconds: null, findings: [finding('catalogue', 'error', null, `the catalogue database does not answer: ${messageOf(error)}`, fix)] };
    }
  }

  private async checkEventBus(settings: DoctorSettings, groups: readonly string[]): Promise<{ looked: number; findings: Finding[] }> {
    const kafka = this.config?.eventBus === 'kafka';
    const backlog = await readBacklog(this.dataSource.manager, kafka);
    const findings: Finding[] = [];
    const outbox = backlog.outbox;
    if (outbox && outbox.unpublished > 0 && (outbox.oldestUnpublishedSeconds ?? 0) > BACKLOG_LIMITS.unpublished) {
      findings.push(
        finding('event-bus', 'error', 'outbox', `${outbox.unpublished} event(s) not published to Kafka, the oldest for ${outbox.oldestUnpublishedSeconds} s`, 'start the messenger (and check that it reaches Kafka); the daemons meanwhile only see changes at their sweeps'),
      );
    }
    for (const c of backlog.consumers) {
      if (c.behind > 0 && (c.oldestSeconds ?? 0) > BACKLOG_LIMITS.consumer) {
        findings.push(finding('event-bus', 'warning', `${c.group} on ${c.topic}`, `${c.behind} event(s) behind, the oldest for ${c.oldestSeconds} s`, `check that ${c.group} runs and keeps up (tarn daemon list)`));
      }
    }
    if (!kafka || !this.config) return { looked: 1 + backlog.consumers.length, findings };
    const brokers = this.config.kafkaBrokers.join(',');
    const { topicPrefix } = loadEventsSettings();
    const client = createKafkaClient(this.config.kafkaBrokers, `tarn-doctor-${hostname()}-${process.pid}`, { retry: { retries: 1 } });
    try {
      const state = await within(settings.remoteTimeoutMs, `Kafka at ${brokers}`, readKafkaState(client, topicPrefix, groups));
      for (const topic of state.missingTopics) {
        findings.push(finding('event-bus', 'error', topic, `Kafka at ${brokers} has no topic ${topic}`, 'start the messenger, which creates the topics, or create them yourself (the broker may not create topics on its own)'));
      }
      for (const lag of state.lags.filter((l) => l.behind > 0)) {
        const subject = `${lag.group} on ${lag.topic}`;
        if (lag.state === 'Empty' || lag.state === 'Dead') {
          findings.push(finding('event-bus', 'error', subject, `${lag.behind} event(s) behind and no consumer in the group`, `start ${lag.group}; it reads the events it missed when it comes back`));
        } else if (lag.behind >= KAFKA_LAG_WARNING) {
          findings.push(finding('event-bus', 'warning', subject, `${lag.behind} event(s) behind with ${lag.members} consumer(s)`, `run more instances of ${lag.group}, or look at why it is slow (its /metrics)`));
        }
      }
      return { looked: 1 + state.lags.length, findings };
    } catch (error) {
      findings.push(finding('event-bus', 'error', 'kafka', `Kafka does not answer: ${messageOf(error)}`, 'check KAFKA_BROKERS and that the brokers run and are reachable from Tarn'));
      return { looked: 1, findings };
    }
  }

  private async checkStorage(settings: DoctorSettings, chosen: readonly RseOverview[]): Promise<{ looked: number; findings: Finding[] }> {
    const protocols = await listAllRseProtocols(this.dataSource.manager);
    const findings: Finding[] = [];
    const probes: Array<{ rse: (typeof chosen)[number]; protocol: (typeof protocols)[number] }> = [];
    for (const rse of chosen) {
      const own = protocols.filter((p) => p.rseId === rse.id);
      if (own.length === 0) findings.push(finding('storage', 'warning', rse.name, 'no protocol: nothing can be written to or read from it', `add one (tarn rse add-protocol ${rse.name})`));
      for (const protocol of own) probes.push({ rse, protocol });
    }
    const deadline = Date.now() + settings.storageBudgetMs;
    const settled = await settleBounded(probes, settings.concurrency, (p) =>
      Date.now() > deadline ? Promise.resolve(null) : probeProtocol(p.rse.name, p.protocol, { stepTimeoutMs: settings.stepTimeoutMs, open: settings.open }),
    );
    const skipped = new Set<string>();
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled' && s.value === null) skipped.add(probes[i].rse.name);
      const found = s.status === 'fulfilled' ? (s.value ?? []) : [finding('storage', 'error', probes[i].rse.name, `the probe failed: ${messageOf(s.reason)}`, 'see the API log')];
      findings.push(...found.map((f) => knownUnavailable(f, probes[i].rse)));
    });
    if (skipped.size > 0) {
      findings.push(
        finding(
          'storage',
          'warning',
          [...skipped].join(', '),
          `not probed: the probes before them took the ${Math.round(settings.storageBudgetMs / 1000)} s the storage check may take`,
          'probe them one RSE at a time (tarn doctor --rse NAME), and look at the slow ones the findings name',
        ),
      );
    }
    return { looked: settled.filter((s) => !(s.status === 'fulfilled' && s.value === null)).length, findings };
  }
}
