/** CPU time of processes on this (Linux) host, from /proc: a bench's own process and the servers it started. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime (seconds) and parent of every process readable now. */
function processes(): Map<number, { parent: number; cpu: number }> {
  const all = new Map<number, { parent: number; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its closing one.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(Number(entry), { parent: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/**
 * CPU seconds used so far by this process (all its threads) and, separately, by its descendants (an embedded
 * PostgreSQL and its backends), or null where /proc is not there.
 */
export function processTreeCpu(): { self: number; children: number } | null {
  let all: Map<number, { parent: number; cpu: number }>;
  try {
    all = processes();
  } catch {
    return null;
  }
  const self = all.get(process.pid);
  if (!self) return null;
  const inTree = new Set([process.pid]);
  let children = 0;
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of all) {
      if (!inTree.has(pid) && inTree.has(p.parent)) {
        inTree.add(pid);
        children += p.cpu;
        grew = true;
      }
    }
  }
  return { self: self.cpu, children };
}

/** CPU seconds the whole host has spent busy (every process, the kernel's share too) and in all, over all CPUs, or null without /proc. */
export function machineCpu(): { busy: number; total: number } | null {
  let line: string;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return null;
  }
  // cpu user nice system idle iowait irq softirq steal ...
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: (total - ticks[3] - ticks[4]) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/** What the whole host spent since `before` (a machineCpu() reading): CPU seconds busy and the busy share of all CPUs' time. */
export function machineCpuSince(before: ReturnType<typeof machineCpu>): { cpu: number; busyShare: number } | null {
  const after = machineCpu();
  if (!before || !after || after.total <= before.total) return null;
  const cpu = after.busy - before.busy;
  return { cpu, busyShare: cpu / (after.total - before.total) };
}

/** Runs `work` and says how long it took and what the whole host spent meanwhile (machineCpuSince). */
export async function measureMachine(work: () => Promise<unknown>): Promise<{ seconds: number; cpu: number | null; busyShare: number | null }> {
  const before = machineCpu();
  const start = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const spent = machineCpuSince(before);
  return { seconds, cpu: spent?.cpu ?? null, busyShare: spent?.busyShare ?? null };
}
