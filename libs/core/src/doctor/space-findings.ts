import type { RseOverview } from '../overview/overview.types.js';
import { type Finding, finding } from './doctor.types.js';

/** Past this share of its storage in use, an RSE is nearly full (the TarnRseAlmostFull alert's threshold). */
export const FULL_SHARE = 0.9;

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * An RSE's space against its limits: its storage (as last measured) over 90 % full or below its MinFreeSpace, and the
 * bytes the catalogue counts on it over its MaxBytes.
 */
export function spaceFindings(rse: RseOverview): Finding[] {
  const findings: Finding[] = [];
  const storage = rse.usage.find((u) => u.source === 'storage');
  const minFree = rse.limits.MinFreeSpace;
  if (storage && storage.free !== null) {
    const total = storage.used + storage.free;
    if (total > 0 && storage.used / total > FULL_SHARE) {
      findings.push(
        finding('space', 'warning', rse.name, `its storage is ${Math.round((100 * storage.used) / total)} % full (${gib(storage.free)} free)`, 'add space, or move rules elsewhere; the reaper frees only what no rule holds'),
      );
    }
    if (minFree !== undefined && storage.free < minFree) {
      findings.push(
        finding(
          'space',
          'warning',
          rse.name,
          `${gib(storage.free)} free, below its MinFreeSpace of ${gib(minFree)}`,
          'check that the reaper runs (tarn daemon list); if nothing is left to delete, add space or lower MinFreeSpace (tarn rse set-limit)',
        ),
      );
    }
  }
  const maxBytes = rse.limits.MaxBytes;
  const counted = rse.usage.find((u) => u.source === 'rucio')?.used;
  if (maxBytes !== undefined && counted !== undefined && counted > maxBytes) {
    findings.push(finding('space', 'warning', rse.name, `the catalogue counts ${gib(counted)} on it, over its MaxBytes of ${gib(maxBytes)}`, 'raise MaxBytes (tarn rse set-limit) or delete rules that hold data there'));
  }
  return findings;
}
