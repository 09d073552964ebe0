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
