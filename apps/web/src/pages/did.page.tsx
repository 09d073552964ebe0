import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { getJson, getLines, getText, seg, withQuery } from '../api/api.client.js';
import type { Replica, Rule } from '../api/types.js';
import { ErrorNote, Loading, PageHeader } from '../components/page-header.js';
import { RulesTable } from '../components/rules-table.js';
import { StateBadge } from '../components/state-badge.js';
import { bytes, count, when } from '../format.js';
import { useLive } from '../live/use-live.js';

const CONTENTS_SHOWN = 100;

interface Did {
  scope: string;
  name: string;
  type: string;
  account: string;
  bytes: number | null;
  length: number | null;
  adler32?: string | null;
  open?: boolean;
  expired_at: string | null;
  created_at: string;
}

interface Child {
  scope: string;
  name: string;
  type: string;
  bytes: number | null;
}

interface CollectionReplica {
  rse: string;
  length: number;
  available_length: number;
  available_bytes: number;
  state: string;
}

const isS3 = (pfn: string) => /^s3(\+https?)?:\/\//.test(pfn);

/** A file's replica on one RSE: a download through a presigned URL where the RSE's storage has one (S3). */
function Download(props: { rse: string; pfn: string; did: string }) {
  const [error, setError] = useState<string | null>(null);
  if (!isS3(props.pfn)) {
    return (
      <span class="muted">
        <code>tarn download {props.did} --rse {props.rse}</code>
      </span>
    );
  }
  const open = async () => {
    setError(null);
    try {
      const url = (await getText(withQuery('/credentials/signurl', { rse: props.rse, url: props.pfn, svc: 's3', op: 'read', lifetime: 600 }))).trim();
      if (!/^https?:\/\//.test(url)) throw new Error(`The storage's presigned URL is not an http(s) URL: ${url.slice(0, 80)}`);
      window.location.assign(url);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <button type="button" class="small" onClick={open}>
        Download
      </button>
      {error && <ErrorNote error={error} />}
    </>
  );
}

export function DidPage() {
  const { params } = useRoute();
  const scope = decodeURIComponent(params.scope);
  const name = decodeURIComponent(params.name);
  const base = `/dids/${seg(scope)}/${seg(name)}`;
  const live = useLive(
    async (signal) => {
      const did = await getJson<Did>(base, signal);
      const file = did.type === 'FILE';
      const [meta, contents, replicas, collectionReplicas, rules] = await Promise.all([
        getJson<Record<string, unknown>>(`${base}/meta?plugin=JSON`, signal),
        file ? Promise.resolve(null) : getLines<Child>(`${base}/dids`, { max: CONTENTS_SHOWN, signal }),
        file ? getLines<Replica>(`/replicas/${seg(scope)}/${seg(name)}`, { signal }) : Promise.resolve(null),
        file ? Promise.resolve(null) : getLines<CollectionReplica>(`/replicas/${seg(scope)}/${seg(name)}/datasets`, { signal }),
        getLines<Rule>(`${base}/rules`, { max: 50, signal }),
      ]);
      return { did, meta, contents, replicas, collectionReplicas, rules };
    },
    [scope, name],
  );
  const data = live.data;
  return (
    <>
      <PageHeader title={`${scope}:${name}`} updatedAt={live.updatedAt} error={live.error} />
      {!data ? (
        !live.error && <Loading />
      ) : (
        <>
          <section class="panel" aria-labelledby="did-facts">
            <h2 id="did-facts">{data.did.type}</h2>
            <dl class="facts">
              <dt>Account</dt>
              <dd>{data.did.account}</dd>
              <dt>Size</dt>
              <dd>
                {bytes(data.did.bytes)}
                {data.did.type !== 'FILE' && `, ${count(data.did.length)} files`}
              </dd>
              {data.did.adler32 && (
                <>
                  <dt>adler32</dt>
                  <dd>
                    <code>{data.did.adler32}</code>
                  </dd>
                </>
              )}
              {data.did.open !== undefined && (
                <>
                  <dt>Open</dt>
                  <dd>{data.did.open ? 'yes' : 'no (closed)'}</dd>
                </>
              )}
              <dt>Expires</dt>
              <dd>{data.did.expired_at ? when(data.did.expired_at) : 'never'}</dd>
              <dt>Created</dt>
              <dd>{when(data.did.created_at)}</dd>
            </dl>
            <h3>Metadata</h3>
            {Object.keys(data.meta).length === 0 ? (
              <p class="muted">none</p>
            ) : (
              <dl class="facts">
                {Object.entries(data.meta).map(([key, value]) => (
                  <>
                    <dt key={`k-${key}`}>{key}</dt>
                    <dd key={`v-${key}`}>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
                  </>
                ))}
              </dl>
            )}
          </section>
          {data.replicas && (
            <section class="panel" aria-labelledby="replicas">
              <h2 id="replicas">Replicas</h2>
              <table data-testid="replicas">
                <thead>
                  <tr>
                    <th scope="col">RSE</th>
                    <th scope="col">State</th>
                    <th scope="col">PFN</th>
                    <th scope="col">Download</th>
                  </tr>
                </thead>
                <tbody>
                  {data.replicas.items.flatMap((r) =>
                    Object.entries(r.rses ?? {}).map(([rse, pfns]) => (
                      <tr key={rse}>
                        <th scope="row">{rse}</th>
                        <td>
                          <StateBadge state={(r.states ?? {})[rse] ?? 'AVAILABLE'} />
                        </td>
                        <td class="wrap">
                          <code>{pfns[0] ?? ''}</code>
                        </td>
                        <td>{pfns[0] && <Download rse={rse} pfn={pfns[0]} did={`${scope}:${name}`} />}</td>
                      </tr>
                    )),
                  )}
                </tbody>
              </table>
              {data.replicas.items.every((r) => Object.keys(r.rses ?? {}).length === 0) && <p class="muted">No replica.</p>}
            </section>
          )}
          {data.collectionReplicas && (
            <section class="panel" aria-labelledby="collection-replicas">
              <h2 id="collection-replicas">Replicas per RSE</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">RSE</th>
                    <th scope="col">Files there</th>
                    <th scope="col">Bytes there</th>
                    <th scope="col">State</th>
                  </tr>
                </thead>
                <tbody>
                  {data.collectionReplicas.items.map((r) => (
                    <tr key={r.rse}>
                      <th scope="row">{r.rse}</th>
                      <td>
                        {count(r.available_length)} of {count(r.length)}
                      </td>
                      <td>{bytes(r.available_bytes)}</td>
                      <td>
                        <StateBadge state={r.state} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {data.collectionReplicas.items.length === 0 && <p class="muted">No file of it has a replica.</p>}
            </section>
          )}
          {data.contents && (
            <section class="panel" aria-labelledby="contents">
              <h2 id="contents">Contents</h2>
              <table data-testid="contents">
                <thead>
                  <tr>
                    <th scope="col">DID</th>
                    <th scope="col">Type</th>
                    <th scope="col">Bytes</th>
                  </tr>
                </thead>
                <tbody>
                  {data.contents.items.map((c) => (
                    <tr key={`${c.scope}:${c.name}`}>
                      <th scope="row">
                        <a href={`/ui/dids/${seg(c.scope)}/${seg(c.name)}`}>
                          {c.scope}:{c.name}
                        </a>
                      </th>
                      <td>{c.type}</td>
                      <td>{bytes(c.bytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {data.contents.items.length === 0 && <p class="muted">Empty.</p>}
              {data.contents.more && <p class="muted">The first {CONTENTS_SHOWN} are shown.</p>}
            </section>
          )}
          <section class="panel" aria-labelledby="did-rules">
            <h2 id="did-rules">Rules on it</h2>
            {data.rules.items.length === 0 ? (
              <p class="muted">none</p>
            ) : (
              <RulesTable rules={data.rules.items} withDid={false} testId="did-rules" />
            )}
          </section>
        </>
      )}
    </>
  );
}
