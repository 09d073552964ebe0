/**
 * Tarn in scale-out mode on one host, as real processes: the API (as many as asked) and every daemon of the one list
 * (apps/tarn/src/daemon-list.ts), each its own OS process (several instances of some), all on one PostgreSQL catalogue
 * and Apache Kafka. Each daemon serves its health and metrics on a free port (TARN_METRICS_PORT=0). Processes can be
 * killed and started again. For the topology test and the topology benchmark.
 */
import { DAEMONS } from '../../../apps/tarn/src/daemon-list.js';
import { prepareSources, startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { freePort } from './disposable-postgres.js';

export interface TopologyOptions {
  databaseUrl: string;
  kafkaBrokers: string;
  /** Prefix of this topology's Kafka topics (they should exist, with several partitions). */
  topicPrefix: string;
  /** API processes (default 1). */
  apis?: number;
  /** Instances per daemon name (default 1 each); 0 leaves a daemon out. */
  instances?: Record<string, number>;
  /** Knobs of every process. */
  env?: Record<string, string>;
}

/** One process of the topology: the API or a daemon, and which of its instances. */
export interface TopologyProcess {
  /** `api` or the daemon's name (heartbeat executable). */
  readonly role: string;
  readonly app: string;
  /** 1-based instance number of its role. */
  readonly instance: number;
  /** The API's URL; null for daemons. */
  readonly url: string | null;
  /** The current OS process of this slot (a new one after a restart). */
  current: DaemonProcess;
  /** Each OS process this slot ran, oldest first. */
  readonly history: DaemonProcess[];
}

export interface Topology {
  readonly processes: TopologyProcess[];
  readonly apiUrls: string[];
  readonly daemons: TopologyProcess[];
  /** Kills the slot's process (SIGKILL unless said) and waits for it to end. */
  kill(slot: TopologyProcess, signal?: NodeJS.Signals): Promise<{ pid: number; code: number | null }>;
  /** Starts a new process in the slot (after kill). */
  restart(slot: TopologyProcess): void;
  /** Every process's last output, for a failure message. */
  describe(): string;
  /** SIGTERM to every process (each finishes its item in hand), SIGKILL to those still running after `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

const alive = (p: DaemonProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** Starts every process of the topology; resolves once each has been spawned (not when it is ready). */
export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const env = {
    KAFKA_BROKERS: options.kafkaBrokers,
    TARN_EVENT_BUS: 'kafka',
    TARN_KAFKA_TOPIC_PREFIX: options.topicPrefix,
    TARN_METRICS_PORT: '0',
    ...options.env,
  };
  await prepareSources();
  const slots: Array<{ role: string; app: string; instance: number; port: number | null }> = [];
  for (let i = 1; i <= (options.apis ?? 1); i++) slots.push({ role: 'api', app: 'api', instance: i, port: await freePort() });
  for (const daemon of DAEMONS) {
    for (let i = 1; i <= (options.instances?.[daemon.name] ?? 1); i++) slots.push({ role: daemon.name, app: daemon.app, instance: i, port: null });
  }
  const spawnFor = (slot: { app: string; port: number | null }) =>
    startDaemonProcess(slot.app, options.databaseUrl, slot.port === null ? env : { ...env, TARN_HOST: '127.0.0.1', TARN_PORT: String(slot.port) });
  const processes: TopologyProcess[] = slots.map((slot) => {
    const current = spawnFor(slot);
    return { role: slot.role, app: slot.app, instance: slot.instance, url: slot.port === null ? null : `http://127.0.0.1:${slot.port}`, current, history: [current] };
  });
  const portOf = new Map(processes.map((p, i) => [p, slots[i].port]));
  return {
    processes,
    apiUrls: processes.filter((p) => p.url).map((p) => p.url!),
    daemons: processes.filter((p) => p.role !== 'api'),
    async kill(slot, signal = 'SIGKILL') {
      const pid = slot.current.child.pid!;
      if (alive(slot.current)) slot.current.child.kill(signal);
      return { pid, code: await slot.current.exited };
    },
    restart(slot) {
      if (alive(slot.current)) throw new Error(`${slot.role} #${slot.instance} (pid ${slot.current.child.pid}) still runs: kill it first`);
      slot.current = spawnFor({ app: slot.app, port: portOf.get(slot)! });
      slot.history.push(slot.current);
    },
    describe() {
      return processes
        .map((p) => `--- ${p.role} #${p.instance} (pid ${p.current.child.pid}${alive(p.current) ? '' : `, exited ${p.current.child.exitCode ?? p.current.child.signalCode}`}):\n${p.current.output().slice(-3000)}`)
        .join('\n');
    },
    async close(graceMs = 15_000) {
      const running = processes.map((p) => p.current).filter(alive);
      for (const p of running) p.child.kill('SIGTERM');
      const timer = setTimeout(() => running.filter(alive).forEach((p) => p.child.kill('SIGKILL')), graceMs);
      await Promise.all(running.map((p) => p.exited));
      clearTimeout(timer);
    },
  };
}
