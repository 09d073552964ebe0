import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { getLines, withQuery } from '../api/api.client.js';
import type { Rule } from '../api/types.js';
import { Pager } from '../components/pager.js';
import { Loading, PageHeader } from '../components/page-header.js';
import { RulesTable } from '../components/rules-table.js';
import { useLive } from '../live/use-live.js';

export const PAGE_SIZE = 50;
export const RULE_STATE_NAMES = ['OK', 'REPLICATING', 'STUCK', 'SUSPENDED', 'WAITING_APPROVAL', 'INJECT'];

interface Filters {
  account: string;
  state: string;
  rse_expression: string;
  did: string;
}

/** 'scope:name*' -> the rule listing's scope and name filters ('*' wildcards); a bare pattern filters names. */
function didFilter(text: string): { scope?: string; name?: string } {
  const trimmed = text.trim();
  if (!trimmed) return {};
  const colon = trimmed.indexOf(':');
  if (colon < 0) return { name: trimmed };
  return { scope: trimmed.slice(0, colon) || undefined, name: trimmed.slice(colon + 1) || undefined };
}

export function RulesPage() {
  const location = useLocation();
  const query = location.query;
  const filters: Filters = { account: query.account ?? '', state: query.state ?? '', rse_expression: query.rse_expression ?? '', did: query.did ?? '' };
  const offset = Number(query.offset ?? 0) || 0;
  const [draft, setDraft] = useState<Filters>(filters);

  const go = (next: Filters, nextOffset = 0) => {
    location.route(withQuery('/ui/rules', { ...next, offset: nextOffset || undefined }));
  };

  const live = useLive(
    (signal) =>
      getLines<Rule>(
        withQuery('/rules', {
          account: filters.account || undefined,
          state: filters.state || undefined,
          rse_expression: filters.rse_expression || undefined,
          ...didFilter(filters.did),
          newest_first: true,
          limit: PAGE_SIZE + 1,
          offset,
        }),
        { signal },
      ),
    [filters.account, filters.state, filters.rse_expression, filters.did, offset],
  );
  const rules = live.data?.items.slice(0, PAGE_SIZE) ?? [];
  const more = (live.data?.items.length ?? 0) > PAGE_SIZE;

  return (
    <>
      <PageHeader title="Rules" updatedAt={live.updatedAt} error={live.error}>
        <a class="button primary" href="/ui/rules/new">
          New rule
        </a>
      </PageHeader>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go(draft);
        }}
      >
        <label>
          Account
          <input value={draft.account} placeholder="any" onInput={(e) => setDraft({ ...draft, account: e.currentTarget.value })} />
        </label>
        <label>
          State
          <select value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.currentTarget.value })}>
            <option value="">any</option>
            {RULE_STATE_NAMES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          RSE expression
          <input value={draft.rse_expression} placeholder="exactly as written" onInput={(e) => setDraft({ ...draft, rse_expression: e.currentTarget.value })} />
        </label>
        <label>
          DID
          <input value={draft.did} placeholder="scope:name, * wildcards" onInput={(e) => setDraft({ ...draft, did: e.currentTarget.value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {!live.data ? (
        !live.error && <Loading />
      ) : (
        <>
          <RulesTable rules={rules} withDid testId="rules" />
          {rules.length === 0 && <p class="muted">No rule matches.</p>}
          <Pager offset={offset} shown={rules.length} pageSize={PAGE_SIZE} more={more} onChange={(next) => go(filters, next)} />
        </>
      )}
    </>
  );
}
