import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { call, getJson, getLines, seg } from '../api/api.client.js';
import { mayChange, useSession } from '../api/session.js';
import type { Lock, Rule } from '../api/types.js';
import { ErrorNote, Loading, PageHeader } from '../components/page-header.js';
import { ProgressBar } from '../components/progress-bar.js';
import { StateBadge } from '../components/state-badge.js';
import { bytes, count, expiryOf, when } from '../format.js';
import { useLive } from '../live/use-live.js';

/** Locks shown on a rule's page; a rule of a million files still loads at once (the rest is not read). */
const LOCKS_SHOWN = 200;

interface ReasonGroup {
  state: string;
  reason_code: string | null;
  locks: number;
  bytes: number;
  rses: string[];
  example: { scope: string; name: string; rse: string | null; reason: string | null } | null;
}

function RuleActions(props: { rule: Rule; onDone: () => void }) {
  const session = useSession();
  const location = useLocation();
  const { rule } = props;
  const [lifetime, setLifetime] = useState('30d');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (what: () => Promise<unknown>, after: () => void = props.onDone) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      after();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const owner = mayChange(session, rule.account);
  const waiting = rule.state === 'WAITING_APPROVAL';
  if (!owner && !session.admin) return null;
  return (
    <section class="panel actions" aria-labelledby="actions">
      <h2 id="actions">Actions</h2>
      {error && <ErrorNote error={error} />}
      {session.admin && waiting && (
        <p>
          <button type="button" class="primary" disabled={busy} onClick={() => act(() => call('PUT', `/rules/${rule.id}`, { options: { approve: true } }))}>
            Approve
          </button>{' '}
          <button type="button" disabled={busy} onClick={() => act(() => call('PUT', `/rules/${rule.id}`, { options: { approve: false } }), () => location.route('/ui/rules'))}>
            Deny
          </button>
        </p>
      )}
      {owner && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const parsed = expiryOf(lifetime);
            if ('error' in parsed) {
              setError(parsed.error);
              return;
            }
            void act(() => call('PUT', `/rules/${rule.id}`, { options: parsed.body }));
          }}
        >
          <label>
            Lifetime from now (30d, 2027-01-31)
            <input value={lifetime} size={8} onInput={(e) => setLifetime(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Set lifetime
          </button>
        </form>
      )}
      {owner && (
        <p>
          <button
            type="button"
            class="danger"
            disabled={busy || rule.locked}
            title={rule.locked ? 'A locked rule cannot be deleted: unlock it first.' : undefined}
            onClick={() => {
              if (window.confirm(`Delete rule ${rule.id} on ${rule.scope}:${rule.name}? Replicas only it protects get a tombstone.`)) {
                void act(() => call('DELETE', `/rules/${rule.id}`), () => location.route('/ui/rules'));
              }
            }}
          >
            Delete rule
          </button>
        </p>
      )}
    </section>
  );
}

export function RulePage() {
  const { params } = useRoute();
  const id = params.id;
  const live = useLive(
    async (signal) => {
      const [rule, locks, analysis] = await Promise.all([
        getJson<Rule>(`/rules/${seg(id)}`, signal),
        getLines<Lock>(`/rules/${seg(id)}/locks`, { max: LOCKS_SHOWN, signal }),
        getJson<{ rule_error: string | null; reasons: ReasonGroup[] }>(`/rules/${seg(id)}/analysis`, signal),
      ]);
      return { rule, locks, analysis };
    },
    [id],
  );
  const data = live.data;
  return (
    <>
      <PageHeader title={data ? `Rule on ${data.rule.scope}:${data.rule.name}` : 'Rule'} updatedAt={live.updatedAt} error={live.error} />
      {!data ? (
        !live.error && <Loading />
      ) : (
        <>
          <section class="panel" aria-labelledby="rule-facts">
            <h2 id="rule-facts">
              <StateBadge state={data.rule.state} /> <span data-testid="rule-state">{data.rule.state}</span>
            </h2>
            <ProgressBar ok={data.rule.locks_ok_cnt} replicating={data.rule.locks_replicating_cnt} stuck={data.rule.locks_stuck_cnt} />
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{data.rule.id}</code>
              </dd>
              <dt>Account</dt>
              <dd>{data.rule.account}</dd>
              <dt>RSE expression</dt>
              <dd>
                <code>{data.rule.rse_expression}</code>, {data.rule.copies} {data.rule.copies === 1 ? 'copy' : 'copies'}, grouping {data.rule.grouping}
              </dd>
              <dt>Locks</dt>
              <dd>
                {count(data.rule.locks_ok_cnt)} OK, {count(data.rule.locks_replicating_cnt)} replicating, {count(data.rule.locks_stuck_cnt)} stuck
              </dd>
              <dt>Expires</dt>
              <dd>{data.rule.expires_at ? when(data.rule.expires_at) : 'never'}</dd>
              <dt>Locked</dt>
              <dd>{data.rule.locked ? 'yes (cannot be deleted)' : 'no'}</dd>
              <dt>Created</dt>
              <dd>{when(data.rule.created_at)}</dd>
              {data.rule.comments && (
                <>
                  <dt>Comment</dt>
                  <dd>{data.rule.comments}</dd>
                </>
              )}
              {(data.analysis.rule_error ?? data.rule.error) && (
                <>
                  <dt>Waiting for</dt>
                  <dd class="bad-text">{data.analysis.rule_error ?? data.rule.error}</dd>
                </>
              )}
            </dl>
          </section>
          <RuleActions rule={data.rule} onDone={live.refresh} />
          {data.analysis.reasons.length > 0 && (
            <section class="panel" aria-labelledby="reasons">
              <h2 id="reasons">Why locks are not OK</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">State</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Locks</th>
                    <th scope="col">Bytes</th>
                    <th scope="col">RSEs</th>
                  </tr>
                </thead>
                <tbody>
                  {data.analysis.reasons.map((r) => (
                    <tr key={`${r.state}/${r.reason_code}`}>
                      <td>
                        <StateBadge state={r.state} />
                      </td>
                      <td class="wrap">
                        {r.example?.reason ?? r.reason_code ?? '—'}
                        {r.example && (
                          <div class="muted">
                            e.g. {r.example.scope}:{r.example.name}
                            {r.example.rse ? ` on ${r.example.rse}` : ''}
                          </div>
                        )}
                      </td>
                      <td>{count(r.locks)}</td>
                      <td>{bytes(r.bytes)}</td>
                      <td>{(r.rses ?? []).join(', ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
          <section class="panel" aria-labelledby="locks">
            <h2 id="locks">Locks</h2>
            <table data-testid="locks">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">RSE</th>
                  <th scope="col">State</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Bytes</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {data.locks.items.map((l) => (
                  <tr key={`${l.scope}:${l.name}@${l.rse}`}>
                    <th scope="row">
                      <a href={`/ui/dids/${seg(l.scope)}/${seg(l.name)}`}>
                        {l.scope}:{l.name}
                      </a>
                    </th>
                    <td>{l.rse}</td>
                    <td>
                      <StateBadge state={l.state} />
                    </td>
                    <td class="wrap">{l.state === 'OK' ? '' : (l.reason ?? l.error ?? l.reason_code ?? '')}</td>
                    <td>{bytes(l.bytes)}</td>
                    <td>{when(l.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.locks.more && <p class="muted">The first {LOCKS_SHOWN} locks are shown; "Why locks are not OK" counts them all.</p>}
          </section>
        </>
      )}
    </>
  );
}
