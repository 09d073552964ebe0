import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { call, getJson, getLines, seg, withQuery } from '../api/api.client.js';
import type { DidSummary, RseOverview } from '../api/types.js';
import { ErrorNote, PageHeader } from '../components/page-header.js';
import { StateBadge } from '../components/state-badge.js';
import { bytes, expiryOf } from '../format.js';
import { capacityOf, qosOf } from './rses.page.js';

const SEARCH_LIMIT = 25;

interface DidRef {
  scope: string;
  name: string;
  did_type: string;
  bytes: number | null;
}

/** Step 1: find DIDs by scope and name pattern and pick them. */
function DidPicker(props: { picked: DidRef[]; onChange: (dids: DidRef[]) => void }) {
  const [scopes, setScopes] = useState<string[]>([]);
  const [scope, setScope] = useState('');
  const [pattern, setPattern] = useState('*');
  const [found, setFound] = useState<DidSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<string[]>('/scopes').then((list) => {
      setScopes(list);
      setScope((s) => s || list[0] || '');
    }, (e) => setError(e.message));
  }, []);
  const search = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const filters = JSON.stringify([{ name: pattern.trim() || '*' }]);
      const { items } = await getLines<DidSummary>(withQuery(`/dids/${seg(scope)}/dids/search`, { type: 'all', long: 'True', limit: SEARCH_LIMIT, filters }));
      setFound(items);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const isPicked = (d: DidSummary) => props.picked.some((p) => p.scope === d.scope && p.name === d.name);
  return (
    <fieldset>
      <legend>1. DIDs</legend>
      <form class="filters" role="search" onSubmit={search}>
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
            {scopes.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} placeholder="run*" />
        </label>
        <button type="submit">Find</button>
      </form>
      {error && <ErrorNote error={error} />}
      {found && (
        <ul class="plain picker" aria-label="DIDs found">
          {found.length === 0 && <li class="muted">Nothing matches.</li>}
          {found.map((d) => (
            <li key={`${d.scope}:${d.name}`}>
              <label>
                <input
                  type="checkbox"
                  checked={isPicked(d)}
                  onChange={(e) =>
                    props.onChange(
                      e.currentTarget.checked
                        ? [...props.picked, { scope: d.scope, name: d.name, did_type: d.did_type, bytes: d.bytes }]
                        : props.picked.filter((p) => p.scope !== d.scope || p.name !== d.name),
                    )
                  }
                />
                {d.scope}:{d.name} <span class="muted">{d.did_type}{d.bytes !== null ? `, ${bytes(d.bytes)}` : ''}</span>
              </label>
            </li>
          ))}
        </ul>
      )}
      <p data-testid="picked">
        {props.picked.length === 0 ? 'No DID picked yet.' : `Picked: ${props.picked.map((p) => `${p.scope}:${p.name}`).join(', ')}`}
      </p>
    </fieldset>
  );
}

/** Step 2: the RSE expression, with the RSEs it selects right now, the space they have and whether a copy fits. */
function ExpressionPreview(props: { expression: string; ignoreAvailability: boolean; needBytes: number }) {
  const [state, setState] = useState<{ rses?: RseOverview[]; error?: string }>({});
  useEffect(() => {
    const expression = props.expression.trim();
    if (!expression) {
      setState({});
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      getJson<RseOverview[]>(withQuery('/overview/rses', { expression }), controller.signal).then(
        (rses) => setState({ rses }),
        (e) => {
          if (!(e instanceof DOMException)) setState({ error: e.message });
        },
      );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [props.expression]);
  if (state.error) return <p class="note error" role="status" data-testid="preview">{state.error}</p>;
  if (!state.rses) return <p class="muted" data-testid="preview">Type an expression to see the RSEs it selects.</p>;
  if (state.rses.length === 0) return <p class="note error" role="status" data-testid="preview">The expression selects no RSE.</p>;
  const usable = state.rses.filter((r) => props.ignoreAvailability || r.availabilityWrite);
  const free = usable.reduce((sum, r) => sum + (r.freeBytes ?? 0), 0);
  const fits = (r: RseOverview) => r.freeBytes === null || r.freeBytes >= props.needBytes;
  return (
    <div data-testid="preview" role="status">
      <p>
        Selects {state.rses.length} RSE{state.rses.length === 1 ? '' : 's'}
        {usable.length < state.rses.length && `, ${usable.length} writable`}; {bytes(free)} free on them.
        {props.needBytes > 0 && ` Each copy of the picked DIDs needs ${bytes(props.needBytes)} on the RSE it goes to.`}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">RSE</th>
            <th scope="col">QoS</th>
            <th scope="col">Writable</th>
            <th scope="col">Free</th>
            <th scope="col">Capacity</th>
          </tr>
        </thead>
        <tbody>
          {state.rses.map((r) => (
            <tr key={r.id} data-rse={r.name}>
              <th scope="row">{r.name}</th>
              <td>{qosOf(r)}</td>
              <td>
                <StateBadge state={r.availabilityWrite ? 'yes' : 'no'} />
              </td>
              <td class={fits(r) ? '' : 'bad-text'}>
                {bytes(r.freeBytes)}
                {!fits(r) && <div>too little for a copy</div>}
              </td>
              <td>{bytes(capacityOf(r))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RuleCreatePage() {
  const location = useLocation();
  const [dids, setDids] = useState<DidRef[]>([]);
  const [expression, setExpression] = useState('');
  const [copies, setCopies] = useState('1');
  const [lifetime, setLifetime] = useState('');
  const [grouping, setGrouping] = useState('DATASET');
  const [askApproval, setAskApproval] = useState(false);
  const [ignoreAvailability, setIgnoreAvailability] = useState(false);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const parsed = lifetime.trim() ? expiryOf(lifetime) : { body: {} };
    if ('error' in parsed) {
      setError(parsed.error);
      return;
    }
    if (dids.length === 0) {
      setError('Pick at least one DID first.');
      return;
    }
    setBusy(true);
    try {
      const ids = (await call('POST', '/rules', {
        dids: dids.map(({ scope, name }) => ({ scope, name })),
        rse_expression: expression.trim(),
        copies: Number(copies),
        ...parsed.body,
        grouping,
        ask_approval: askApproval,
        ignore_availability: ignoreAvailability,
        comment: comment.trim() || null,
      })) as string[];
      location.route(ids.length === 1 ? `/ui/rules/${ids[0]}` : '/ui/rules');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader title="New rule" />
      <DidPicker picked={dids} onChange={setDids} />
      <form onSubmit={submit} class="rule-form">
        <fieldset>
          <legend>2. Where</legend>
          <label>
            RSE expression
            <input name="rse_expression" required value={expression} placeholder="QOS=SAFE" onInput={(e) => setExpression(e.currentTarget.value)} />
          </label>
          <ExpressionPreview expression={expression} ignoreAvailability={ignoreAvailability} needBytes={dids.reduce((n, d) => n + (d.bytes ?? 0), 0)} />
        </fieldset>
        <fieldset>
          <legend>3. Options</legend>
          <label>
            Copies
            <input name="copies" type="number" min={1} max={100} required value={copies} onInput={(e) => setCopies(e.currentTarget.value)} />
          </label>
          <label>
            Lifetime <span class="muted">(empty: forever; 30d, 48h, 2027-01-31)</span>
            <input name="lifetime" value={lifetime} onInput={(e) => setLifetime(e.currentTarget.value)} />
          </label>
          <label>
            Grouping
            <select value={grouping} onChange={(e) => setGrouping(e.currentTarget.value)}>
              <option value="DATASET">DATASET: each dataset's files together</option>
              <option value="ALL">ALL: every file on the same RSEs</option>
              <option value="NONE">NONE: each file on its own</option>
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={askApproval} onChange={(e) => setAskApproval(e.currentTarget.checked)} /> Ask an administrator to approve it
          </label>
          <label class="check">
            <input type="checkbox" checked={ignoreAvailability} onChange={(e) => setIgnoreAvailability(e.currentTarget.checked)} /> Also use RSEs that are not
            writable now
          </label>
          <label>
            Comment
            <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          </label>
        </fieldset>
        {error && <ErrorNote error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create rule'}
        </button>
      </form>
    </>
  );
}
