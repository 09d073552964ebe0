import { useState } from 'preact/hooks';
import { getJson, getLines, seg, withQuery } from '../api/api.client.js';
import { Loading, PageHeader } from '../components/page-header.js';
import { Pager } from '../components/pager.js';
import { StateBadge } from '../components/state-badge.js';
import { bytes, when } from '../format.js';
import { useLive } from '../live/use-live.js';

const PAGE_SIZE = 50;

interface Declaration {
  scope: string;
  name: string;
  rse: string;
  state: string;
  reason: string | null;
  account: string;
  bytes: number | null;
  created_at: string;
}

interface Suspicious {
  scope: string;
  name: string;
  rse: string;
  cnt: number;
  created_at: string;
}

/** Administrators: replicas declared suspicious (a reader failed), and every declaration of bad, suspicious and lost. */
export function BadReplicasPage() {
  const [state, setState] = useState('');
  const [offset, setOffset] = useState(0);
  const live = useLive(
    async (signal) => {
      const [suspicious, declarations] = await Promise.all([
        getJson<Suspicious[]>('/replicas/suspicious', signal),
        getLines<Declaration>(withQuery('/replicas/bad/states', { state: state || undefined, limit: PAGE_SIZE + 1, offset }), { signal }),
      ]);
      return { suspicious, declarations };
    },
    [state, offset],
  );
  const data = live.data;
  const rows = data?.declarations.items.slice(0, PAGE_SIZE) ?? [];
  return (
    <>
      <PageHeader title="Bad and suspicious replicas" updatedAt={live.updatedAt} error={live.error} />
      {!data ? (
        !live.error && <Loading />
      ) : (
        <>
          <section class="panel" aria-labelledby="suspicious">
            <h2 id="suspicious">Suspicious now (10 days)</h2>
            {data.suspicious.length === 0 ? (
              <p class="muted">No replica is suspicious.</p>
            ) : (
              <table data-testid="suspicious">
                <thead>
                  <tr>
                    <th scope="col">Replica</th>
                    <th scope="col">RSE</th>
                    <th scope="col">Declarations</th>
                    <th scope="col">Last</th>
                  </tr>
                </thead>
                <tbody>
                  {data.suspicious.map((s) => (
                    <tr key={`${s.scope}:${s.name}@${s.rse}`}>
                      <th scope="row">
                        <a href={`/ui/dids/${seg(s.scope)}/${seg(s.name)}`}>
                          {s.scope}:{s.name}
                        </a>
                      </th>
                      <td>{s.rse}</td>
                      <td>{s.cnt}</td>
                      <td>{when(s.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section class="panel" aria-labelledby="declarations">
            <h2 id="declarations">Declarations</h2>
            <label>
              State{' '}
              <select
                value={state}
                onChange={(e) => {
                  setState(e.currentTarget.value);
                  setOffset(0);
                }}
              >
                <option value="">any</option>
                <option value="BAD">BAD</option>
                <option value="SUSPICIOUS">SUSPICIOUS</option>
                <option value="LOST">LOST</option>
              </select>
            </label>
            <table data-testid="declarations">
              <thead>
                <tr>
                  <th scope="col">Replica</th>
                  <th scope="col">RSE</th>
                  <th scope="col">State</th>
                  <th scope="col">Reason</th>
                  <th scope="col">By</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">When</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={`${d.scope}:${d.name}@${d.rse}/${d.state}/${d.created_at}`}>
                    <th scope="row">
                      <a href={`/ui/dids/${seg(d.scope)}/${seg(d.name)}`}>
                        {d.scope}:{d.name}
                      </a>
                    </th>
                    <td>{d.rse}</td>
                    <td>
                      <StateBadge state={d.state} />
                    </td>
                    <td class="wrap">{d.reason ?? ''}</td>
                    <td>{d.account}</td>
                    <td>{bytes(d.bytes)}</td>
                    <td>{when(d.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {rows.length === 0 && <p class="muted">No declaration.</p>}
            <Pager offset={offset} shown={rows.length} pageSize={PAGE_SIZE} more={data.declarations.items.length > PAGE_SIZE} onChange={setOffset} />
          </section>
        </>
      )}
    </>
  );
}
