import { useState } from 'preact/hooks';
import { call, getJson, seg } from '../api/api.client.js';
import { useSession } from '../api/session.js';
import type { RseOverview } from '../api/types.js';
import { ErrorNote, Loading, PageHeader } from '../components/page-header.js';
import { UsageBar } from '../components/progress-bar.js';
import { StateBadge } from '../components/state-badge.js';
import { ago, bytes, count } from '../format.js';
import { useLive } from '../live/use-live.js';

type Availability = 'availability_read' | 'availability_write' | 'availability_delete';
const AVAILABILITY: [Availability, keyof RseOverview, string][] = [
  ['availability_read', 'availabilityRead', 'read'],
  ['availability_write', 'availabilityWrite', 'write'],
  ['availability_delete', 'availabilityDelete', 'delete'],
];

/** The RSE's QoS class (its QOS attribute: how rules select it, QOS=SAFE). */
export function qosOf(rse: RseOverview): string {
  return rse.qosClass ?? '—';
}

/** What an RSE can hold: MaxBytes when set, else what it holds plus what the storage says is free. */
export function capacityOf(rse: RseOverview): number | null {
  if (rse.limits.MaxBytes !== undefined && rse.limits.MaxBytes >= 0) return rse.limits.MaxBytes;
  return rse.freeBytes === null ? null : rse.usedBytes + rse.freeBytes;
}

export function RsesPage() {
  const session = useSession();
  const live = useLive((signal) => getJson<RseOverview[]>('/overview/rses', signal), []);
  const [actionError, setActionError] = useState<string | null>(null);

  const toggle = async (rse: RseOverview, key: Availability, field: keyof RseOverview) => {
    setActionError(null);
    try {
      await call('PUT', `/rses/${seg(rse.name)}`, { [key]: !rse[field] });
      live.refresh();
    } catch (e) {
      setActionError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <PageHeader title="RSEs" updatedAt={live.updatedAt} error={live.error} />
      {actionError && <ErrorNote error={actionError} />}
      {!live.data ? (
        !live.error && <Loading />
      ) : live.data.length === 0 ? (
        <p>No RSE yet. An administrator adds them (rucio-admin rse add, or POST /rses/&lt;name&gt;).</p>
      ) : (
        <table data-testid="rses">
          <thead>
            <tr>
              <th scope="col">RSE</th>
              <th scope="col">QoS</th>
              <th scope="col">Availability</th>
              <th scope="col">Used</th>
              <th scope="col">Free</th>
              <th scope="col">Files</th>
              <th scope="col">Protocols</th>
              <th scope="col">Last audit</th>
            </tr>
          </thead>
          <tbody>
            {live.data.map((rse) => {
              const capacity = capacityOf(rse);
              const files = rse.usage.find((u) => u.source === 'rucio')?.files ?? 0;
              const minFree = rse.limits.MinFreeSpace;
              const low = minFree !== undefined && rse.freeBytes !== null && rse.freeBytes < minFree;
              return (
                <tr key={rse.id} data-rse={rse.name}>
                  <th scope="row">
                    {rse.name}
                    <div class="muted">
                      {rse.rseType}
                      {rse.deterministic ? '' : ', non-deterministic'}
                      {rse.volatile ? ', volatile' : ''}
                    </div>
                  </th>
                  <td>{qosOf(rse)}</td>
                  <td>
                    <ul class="availability">
                      {AVAILABILITY.map(([key, field, label]) => (
                        <li key={key}>
                          {label}: <StateBadge state={rse[field] ? 'yes' : 'no'} />
                          {session.admin && (
                            <button type="button" class="small" onClick={() => toggle(rse, key, field)} aria-label={`${rse[field] ? 'Disable' : 'Enable'} ${label} on ${rse.name}`}>
                              {rse[field] ? 'Disable' : 'Enable'}
                            </button>
                          )}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <UsageBar used={rse.usedBytes} capacity={capacity} label={`${bytes(rse.usedBytes)} used of ${capacity === null ? 'unknown capacity' : bytes(capacity)}`} />
                    {bytes(rse.usedBytes)}
                    {capacity !== null && <span class="muted"> of {bytes(capacity)}</span>}
                  </td>
                  <td class={low ? 'bad-text' : ''}>
                    {bytes(rse.freeBytes)}
                    {minFree !== undefined && <div class="muted">min free {bytes(minFree)}</div>}
                    {low && <div>below MinFreeSpace: the reaper frees space</div>}
                  </td>
                  <td>{count(files)}</td>
                  <td>
                    {rse.protocols.length === 0 ? (
                      <span class="bad-text">none: nothing can be read or written</span>
                    ) : (
                      <ul class="plain">
                        {rse.protocols.map((p) => (
                          <li key={`${p.scheme}://${p.hostname}:${p.port}`}>
                            {p.scheme}://{p.hostname}
                            {p.port ? `:${p.port}` : ''}
                            {p.prefix}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {rse.lastAudit ? (
                      <>
                        <StateBadge state={rse.lastAudit.error ? 'FAILED' : rse.lastAudit.state.toUpperCase()} /> {ago(rse.lastAudit.startedAt)}
                        <div class="muted">
                          {count(rse.lastAudit.dark)} dark, {count(rse.lastAudit.missing)} missing
                        </div>
                        {rse.lastAudit.error && <div class="bad-text wrap">{rse.lastAudit.error}</div>}
                      </>
                    ) : (
                      <span class="muted">never</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
