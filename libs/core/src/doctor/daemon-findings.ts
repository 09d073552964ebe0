import { type Finding, finding, MAX_CLOCK_SKEW_SECONDS } from './doctor.types.js';

/** A daemon instance as its heartbeat tells it (HeartbeatService.list() of libs/daemon). */
export interface DaemonInstance {
  executable: string;
  hostname: string;
  pid: number;
  thread: string;
  alive: boolean;
  ageSeconds: number;
  deadAfterSeconds: number;
  /** By the catalogue's clock. */
  updatedAt: Date;
  payload: Record<string, unknown> | null;
}

/** Consecutive failed passes of a live instance that make a finding. */
export const FAILING_PASSES = 3;

const instanceName = (i: DaemonInstance) => `${i.executable} on ${i.hostname} (pid ${i.pid}${i.thread === 'main' ? '' : `, ${i.thread}`})`;

/**
 * Daemons: every instance whose heartbeat stopped, every daemon of the deployment with no live instance, and live
 * instances whose passes keep failing.
 */
export function daemonFindings(instances: readonly DaemonInstance[], expected: readonly string[]): Finding[] {
  if (instances.length === 0 && expected.length > 0) {
    return [
      finding(
        'daemons',
        'error',
        null,
        'no daemon instance has a heartbeat: nothing is replicated, verified or deleted',
        'start the daemons (npm start runs them all with the API; docs/deployment.md for one process each)',
      ),
    ];
  }
  const findings: Finding[] = [];
  for (const i of instances.filter((x) => !x.alive)) {
    findings.push(
      finding(
        'daemons',
        'error',
        instanceName(i),
        `dead: no heartbeat for ${Math.round(i.ageSeconds)} s (dead after ${i.deadAfterSeconds} s)`,
        `restart it, and read its log for why it stopped; an instance stopped for good is cleared once another instance of ${i.executable} has been alive for a while`,
      ),
    );
  }
  const daemons = new Set([...expected, ...instances.map((i) => i.executable)]);
  for (const daemon of daemons) {
    const own = instances.filter((i) => i.executable === daemon);
    if (own.some((i) => i.alive)) continue;
    findings.push(
      own.length === 0
        ? finding('daemons', 'warning', daemon, 'no instance has a heartbeat: nobody runs it', `start it (node dist/apps/<app>/src/main.js, its Compose service or its chart's Deployment), unless this deployment does without what it does`)
        : finding('daemons', 'error', daemon, 'no live instance: its work waits', `start an instance of ${daemon}`),
    );
  }
  for (const i of instances.filter((x) => x.alive)) {
    const failures = Number(i.payload?.failures ?? 0);
    if (failures >= FAILING_PASSES) {
      findings.push(
        finding('daemons', 'warning', instanceName(i), `its last ${failures} passes failed: ${String(i.payload?.lastError ?? 'no error recorded')}`, 'fix what the error names; the daemon retries with back-off meanwhile'),
      );
    }
  }
  return findings;
}

/** How far a process's clock is from the catalogue's, from the clock it wrote into its last heartbeat; null when it wrote none. */
export function clockSkewSeconds(i: DaemonInstance): number | null {
  const clock = typeof i.payload?.clock === 'string' ? Date.parse(i.payload.clock) : NaN;
  return Number.isNaN(clock) ? null : (clock - i.updatedAt.getTime()) / 1000;
}

/** One finding per host whose processes' clocks differ from the catalogue's by more than MAX_CLOCK_SKEW_SECONDS. */
export function clockFindings(instances: readonly DaemonInstance[], own?: { hostname: string; skewSeconds: number }): Finding[] {
  const worst = new Map<string, number>();
  const consider = (host: string, skew: number) => {
    if (Math.abs(skew) > Math.abs(worst.get(host) ?? 0)) worst.set(host, skew);
  };
  for (const i of instances.filter((x) => x.alive)) {
    const skew = clockSkewSeconds(i);
    if (skew !== null) consider(i.hostname, skew);
  }
  if (own) consider(own.hostname, own.skewSeconds);
  return [...worst]
    .filter(([, skew]) => Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS)
    .map(([host, skew]) =>
      finding(
        'clocks',
        'warning',
        host,
        `its clock is ${Math.abs(skew).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} the catalogue database's`,
        `synchronise the clocks of ${host} and of the database host (chrony or systemd-timesyncd)`,
      ),
    );
}
