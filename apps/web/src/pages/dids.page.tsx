import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { getJson, getLines, seg, withQuery } from '../api/api.client.js';
import type { DidSummary } from '../api/types.js';
import { ErrorNote, Loading, PageHeader } from '../components/page-header.js';
import { Pager } from '../components/pager.js';
import { bytes, count } from '../format.js';
import { useLive } from '../live/use-live.js';
import { parseDidFilters } from '@tarn/domain/user-input.js';

const PAGE_SIZE = 50;
/** 'run>=4700, type=raw' -> the search's filter dict {"run.gte": 4700, "type": "raw"}, as the tarn command line reads it. */
function metadataFilter(text: string): Record<string, unknown> {
  return parseDidFilters([text]);
}

export function DidsPage() {
  const location = useLocation();
  const q = location.query;
  const [scopes, setScopes] = useState<string[] | null>(null);
  const [draft, setDraft] = useState({ scope: q.scope ?? '', name: q.name ?? '*', type: q.type ?? 'all', meta: q.meta ?? '' });
  const [formError, setFormError] = useState<string | null>(null);
  const offset = Number(q.offset ?? 0) || 0;
  useEffect(() => {
    getJson<string[]>('/scopes').then((list) => {
      setScopes(list);
      if (!q.scope && list.length > 0) setDraft((d) => ({ ...d, scope: d.scope || list[0] }));
    }, (e) => setFormError(e.message));
  }, []);

  const go = (next: typeof draft, nextOffset = 0) => location.route(withQuery('/ui/dids', { ...next, offset: nextOffset || undefined }));
  const searching = Boolean(q.scope);
  const live = useLive(
    async (signal) => {
      if (!q.scope) return null;
      const filters = JSON.stringify([{ name: q.name || '*', ...metadataFilter(q.meta ?? '') }]);
      return getLines<DidSummary>(
        withQuery(`/dids/${seg(q.scope)}/dids/search`, { type: q.type || 'all', long: 'True', filters, limit: PAGE_SIZE + 1, offset }),
        { signal },
      );
    },
    [q.scope, q.name, q.type, q.meta, offset],
    0,
  );
  const rows = live.data?.items.slice(0, PAGE_SIZE) ?? [];
  return (
    <>
      <PageHeader title="DIDs" updatedAt={live.updatedAt} error={live.error} />
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            metadataFilter(draft.meta);
            setFormError(null);
            go(draft);
          } catch (error) {
            setFormError((error as Error).message);
          }
        }}
      >
        <label>
          Scope
          <select value={draft.scope} onChange={(e) => setDraft({ ...draft, scope: e.currentTarget.value })}>
            {(scopes ?? []).map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input value={draft.name} placeholder="run*" onInput={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
        </label>
        <label>
          Type
          <select value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
            <option value="all">any</option>
            <option value="container">container</option>
            <option value="dataset">dataset</option>
            <option value="file">file</option>
          </select>
        </label>
        <label>
          Metadata
          <input value={draft.meta} placeholder="run>=4700, type=raw" onInput={(e) => setDraft({ ...draft, meta: e.currentTarget.value })} />
        </label>
        <button type="submit">Search</button>
      </form>
      {formError && <ErrorNote error={formError} />}
      {!searching ? (
        <p class="muted">Choose a scope and search.</p>
      ) : !live.data ? (
        !live.error && <Loading />
      ) : (
        <>
          <table data-testid="dids">
            <thead>
              <tr>
                <th scope="col">DID</th>
                <th scope="col">Type</th>
                <th scope="col">Files</th>
                <th scope="col">Bytes</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={`${d.scope}:${d.name}`}>
                  <th scope="row">
                    <a href={`/ui/dids/${seg(d.scope)}/${seg(d.name)}`}>
                      {d.scope}:{d.name}
                    </a>
                  </th>
                  <td>{d.did_type}</td>
                  <td>{count(d.length)}</td>
                  <td>{bytes(d.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <p class="muted">Nothing matches.</p>}
          <Pager offset={offset} shown={rows.length} pageSize={PAGE_SIZE} more={(live.data.items.length ?? 0) > PAGE_SIZE} onChange={(next) => go(draft, next)} />
        </>
      )}
    </>
  );
}
