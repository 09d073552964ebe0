import { didNameProblem, scopeProblem } from '@tarn/domain';
import type { NewTrace } from '@tarn/catalogue/repositories/trace.repository.js';

/** The events of a read, as the stock download client and Rucio's other tools name them; kronos applies only these. */
export const READ_EVENTS = new Set(['download', 'get', 'get_sm', 'sm_get', 'get_sm_a', 'sm_get_a']);

/** How far back a client's own read time is believed; later times are taken as now (an access is never in the future). */
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

const text = (value: unknown, max: number): string | null => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : null);

/**
 * A client trace (Rucio's trace dictionary) as a read to record, or null when it records none: not a read, not done,
 * or naming no valid file. Fire-and-forget clients get no error for those, as with Rucio.
 */
export function traceOfRead(raw: unknown, account: string | null, now: Date): NewTrace | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const t = raw as Record<string, unknown>;
  const eventType = text(t.eventType, 64);
  if (!eventType || !READ_EVENTS.has(eventType)) return null;
  if (t.clientState !== undefined && t.clientState !== 'DONE' && t.clientState !== 'FOUND_ROOT') return null;
  const scope = text(t.scope, 25);
  const name = text(t.filename, 250);
  if (!scope || !name || scopeProblem(scope) || didNameProblem(name)) return null;
  const datasetScope = text(t.datasetScope, 25) ?? (text(t.dataset, 250) ? scope : null);
  const datasetName = text(t.dataset, 250);
  const dataset = datasetScope && datasetName && !scopeProblem(datasetScope) && !didNameProblem(datasetName);
  const seconds = typeof t.traceTimeentryUnix === 'number' ? t.traceTimeentryUnix : Number(t.traceTimeentryUnix);
  const at = Number.isFinite(seconds) ? new Date(Math.min(now.getTime(), Math.max(now.getTime() - MAX_AGE_MS, seconds * 1000))) : now;
  return {
    scope,
    name,
    rse: text(t.remoteSite, 255),
    datasetScope: dataset ? datasetScope : null,
    datasetName: dataset ? datasetName : null,
    eventType,
    account,
    accessedAt: at,
  };
}
