import { useState } from 'preact/hooks';
import { call, getJson, getLines, seg, withQuery } from '../api/api.client.js';
import { mayChange, useSession } from '../api/session.js';
import type { Hook, HookRun, Rule, Subscription } from '../api/types.js';
import { ErrorNote, Loading, PageHeader } from '../components/page-header.js';
import { StateBadge } from '../components/state-badge.js';
import { ago, count, when } from '../format.js';
import { useLive } from '../live/use-live.js';

/** Rules of a subscription counted (by state) on its page; past this the page says "at least". */
const SUBSCRIPTION_RULES_COUNTED = 1000;

function HookRow(props: { hook: Hook; run: HookRun | undefined; onRun: () => void }) {
  const session = useSession();
  const { hook, run } = props;
  const [error, setError] = useState<string | null>(null);
  const runNow = async () => {
    setError(null);
    try {
      await call('POST', `/hooks/${seg(hook.name)}/run`);
      props.onRun();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const source = hook.source.kind === 'rse' ? `${hook.source.rse}:${hook.source.prefix ?? ''}` : (hook.source.directory ?? '');
  return (
    <tr data-hook={hook.name}>
      <th scope="row">
        {hook.name}
        <div class="muted">{hook.account}</div>
      </th>
      <td>
        <code>{hook.schedule}</code>
        {!hook.enabled && <div><StateBadge state="INACTIVE" /></div>}
      </td>
      <td class="wrap">
        {source} → {hook.target.scope} on {hook.target.rse}
      </td>
      <td>
        {run ? (
          <>
            <StateBadge state={run.state} /> {ago(run.startedAt)}
            <div class="muted">
              {count(run.filesRegistered)} taken of {count(run.filesListed)} listed{run.filesFailed ? `, ${count(run.filesFailed)} failed` : ''}
            </div>
          </>
        ) : (
          <span class="muted">never run</span>
        )}
      </td>
      <td class="wrap bad-text">{run?.errors.slice(0, 3).map((e) => <div key={e.error}>{e.path ?? e.did ?? ''} {e.error}</div>)}</td>
      <td>{hook.runRequestedAt ? 'now (requested)' : when(hook.nextRunAt)}</td>
      <td>
        {mayChange(session, hook.account) && (
          <button type="button" class="small" onClick={runNow} disabled={Boolean(hook.runRequestedAt)}>
            Run now
          </button>
        )}
        {error && <ErrorNote error={error} />}
      </td>
    </tr>
  );
}

export function HooksPage() {
  const live = useLive(async (signal) => {
    const [hooks, subscriptions] = await Promise.all([
      getJson<Hook[]>('/hooks', signal),
      getLines<Subscription>('/subscriptions', { signal }),
    ]);
    const [runs, rules] = await Promise.all([
      Promise.all(hooks.map((h) => getJson<HookRun[]>(withQuery(`/hooks/${seg(h.name)}/runs`, { limit: 1 }), signal).then((r) => r[0]))),
      Promise.all(
        subscriptions.items.map((s) =>
          getLines<Rule>(`/subscriptions/${seg(s.account)}/${seg(s.name)}/rules`, { max: SUBSCRIPTION_RULES_COUNTED, signal }),
        ),
      ),
    ]);
    return { hooks, runs, subscriptions: subscriptions.items, rules };
  }, []);
  const data = live.data;
  return (
    <>
      <PageHeader title="Hooks and subscriptions" updatedAt={live.updatedAt} error={live.error} />
      {!data ? (
        !live.error && <Loading />
      ) : (
        <>
          <section class="panel" aria-labelledby="hooks">
            <h2 id="hooks">Ingestion hooks</h2>
            {data.hooks.length === 0 ? (
              <p class="muted">No hook. Create one with tarn hook add (docs/ingestion.md).</p>
            ) : (
              <table data-testid="hooks">
                <thead>
                  <tr>
                    <th scope="col">Hook</th>
                    <th scope="col">Schedule</th>
                    <th scope="col">From → to</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Errors</th>
                    <th scope="col">Next run</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {data.hooks.map((h, i) => (
                    <HookRow key={h.id} hook={h} run={data.runs[i]} onRun={live.refresh} />
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section class="panel" aria-labelledby="subscriptions">
            <h2 id="subscriptions">Subscriptions</h2>
            {data.subscriptions.length === 0 ? (
              <p class="muted">No subscription.</p>
            ) : (
              <table data-testid="subscriptions">
                <thead>
                  <tr>
                    <th scope="col">Subscription</th>
                    <th scope="col">State</th>
                    <th scope="col">Filter</th>
                    <th scope="col">Rules made</th>
                    <th scope="col">Last DID taken</th>
                  </tr>
                </thead>
                <tbody>
                  {data.subscriptions.map((s, i) => {
                    const rules = data.rules[i];
                    const stuck = rules.items.filter((r) => r.state === 'STUCK' || r.state === 'SUSPENDED').length;
                    return (
                      <tr key={s.id}>
                        <th scope="row">
                          {s.name}
                          <div class="muted">{s.account}</div>
                        </th>
                        <td>
                          <StateBadge state={s.state} />
                        </td>
                        <td class="wrap">
                          <code>{s.filter}</code>
                        </td>
                        <td>
                          {rules.more ? `more than ${count(rules.items.length)}` : count(rules.items.length)}
                          {stuck > 0 && <div class="bad-text">{stuck} stuck or suspended</div>}
                        </td>
                        <td>{s.last_processed ? ago(s.last_processed) : 'never'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </>
  );
}
