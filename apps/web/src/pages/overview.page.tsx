import { getJson } from '../api/api.client.js';
import type { Heartbeat, Overview } from '../api/types.js';
import { HourlyChart } from '../components/hourly-chart.js';
import { Loading, PageHeader } from '../components/page-header.js';
import { StateBadge } from '../components/state-badge.js';
import { ago, bytes, count, seconds } from '../format.js';
import { useLive } from '../live/use-live.js';

const RULE_STATES: [string, string][] = [
  ['O', 'OK'], ['R', 'REPLICATING'], ['S', 'STUCK'], ['U', 'SUSPENDED'], ['W', 'WAITING_APPROVAL'], ['I', 'INJECT'],
];
const REQUEST_STATES: [string, string][] = [['Q', 'queued'], ['S', 'submitted'], ['W', 'waiting (throttled)']];

/** The oldest of some ages in seconds; null when there is none. */
const oldestOf = (ages: Array<number | null>): number | null => ages.reduce<number | null>((max, age) => (age === null ? max : Math.max(max ?? 0, age)), null);

function deadProblem(h: Heartbeat): string {
  const error = h.last_error ? ` Its last error: ${h.last_error}` : '';
  return `${h.executable} on ${h.hostname} (pid ${h.pid}) is dead: no heartbeat for ${seconds(h.age_seconds)}, more than ${seconds(h.dead_after_seconds)}.${error}`;
}

export function OverviewPage() {
  const live = useLive(
    (signal) => Promise.all([getJson<Overview>('/overview', signal), getJson<Heartbeat[]>('/heartbeats', signal)]),
    [],
  );
  const [overview, heartbeats] = live.data ?? [];
  const dead = (heartbeats ?? []).filter((h) => !h.alive);
  const problems = [
    ...dead.map((h) => ({ severity: 'error' as const, what: deadProblem(h) })),
    ...(overview?.problems ?? []),
  ];
  return (
    <>
      <PageHeader title="Overview" updatedAt={live.updatedAt} error={live.error} />
      {!live.data ? (
        !live.error && <Loading />
      ) : (
        <>
          <section aria-labelledby="health" class={problems.length ? 'panel alarm' : 'panel calm'}>
            <h2 id="health">{problems.length ? `${problems.length} thing${problems.length === 1 ? ' needs' : 's need'} attention` : 'All is well'}</h2>
            {problems.length > 0 ? (
              <ul class="problems" data-testid="problems">
                {problems.map((p) => (
                  <li class={p.severity} key={p.what}>
                    <strong>{p.severity === 'error' ? 'Error' : 'Warning'}:</strong> {p.what}
                  </li>
                ))}
              </ul>
            ) : (
              <p>Every daemon beats, nothing is stuck, no backlog is growing old.</p>
            )}
          </section>

          <section aria-labelledby="daemons" class="panel">
            <h2 id="daemons">Daemons</h2>
            <table data-testid="daemons">
              <thead>
                <tr>
                  <th scope="col">Daemon</th>
                  <th scope="col">Host</th>
                  <th scope="col">PID</th>
                  <th scope="col">State</th>
                  <th scope="col">Last heartbeat</th>
                  <th scope="col">Passes</th>
                  <th scope="col">Failures</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {heartbeats!.map((h) => (
                  <tr key={`${h.executable}/${h.hostname}/${h.pid}/${h.thread_name}`} class={h.alive ? '' : 'dead'} data-daemon={h.executable} data-pid={h.pid} data-state={h.state}>
                    <th scope="row">{h.executable}</th>
                    <td>{h.hostname}</td>
                    <td>{h.pid}</td>
                    <td>
                      <StateBadge state={h.state} />
                    </td>
                    <td>{ago(h.updated_at)}</td>
                    <td>{count(h.passes)}</td>
                    <td>{count(h.failures)}</td>
                    <td class="wrap">{h.last_error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {heartbeats!.length === 0 && <p class="note error">No daemon has ever beaten: none is running against this catalogue.</p>}
          </section>

          <section aria-labelledby="backlogs" class="panel">
            <h2 id="backlogs">Backlogs</h2>
            <dl class="cards">
              <div>
                <dt>Changed DIDs for the rule-evaluator</dt>
                <dd>{count(overview!.backlog.updatedDids)}</dd>
                <dd class="muted">oldest {seconds(overview!.backlog.oldestUpdatedDidSeconds)}</dd>
              </div>
              {REQUEST_STATES.map(([letter, label]) => (
                <div key={letter}>
                  <dt>Transfers {label}</dt>
                  <dd>{count(overview!.backlog.requestsByState[letter] ?? 0)}</dd>
                  {letter === 'Q' && <dd class="muted">oldest {seconds(overview!.backlog.oldestQueuedSeconds)}</dd>}
                </div>
              ))}
              <div>
                <dt>Replicas waiting for verification</dt>
                <dd>{count(overview!.backlog.verifications)}</dd>
                <dd class="muted">
                  {count(overview!.backlog.verificationsDue)} due, oldest {seconds(overview!.backlog.oldestVerificationSeconds)}
                </dd>
              </div>
              <div>
                <dt>Tombstones due</dt>
                <dd>{count(overview!.backlog.tombstonesDue.reduce((n, t) => n + t.due, 0))}</dd>
                <dd class="muted">{bytes(overview!.backlog.tombstonesDue.reduce((n, t) => n + t.bytes, 0))} deletable</dd>
              </div>
              {overview!.backlog.outbox ? (
                <div>
                  <dt>Events not yet in Kafka</dt>
                  <dd>{count(overview!.backlog.outbox.unpublished)}</dd>
                  <dd class="muted">oldest {seconds(overview!.backlog.outbox.oldestUnpublishedSeconds)}</dd>
                </div>
              ) : (
                <div>
                  <dt>Events not yet handled</dt>
                  <dd>{count(Math.max(0, ...overview!.backlog.consumers.map((c) => c.behind)))}</dd>
                  <dd class="muted">oldest {seconds(oldestOf(overview!.backlog.consumers.map((c) => c.oldestSeconds)))}</dd>
                </div>
              )}
            </dl>
          </section>

          <section aria-labelledby="rules-by-state" class="panel">
            <h2 id="rules-by-state">Rules by state</h2>
            <ul class="states" data-testid="rules-by-state">
              {RULE_STATES.map(([letter, name]) => (
                <li key={letter}>
                  <a href={`/ui/rules?state=${name}`}>
                    <StateBadge state={name} /> <strong>{count(overview!.rulesByState[letter] ?? 0)}</strong>
                  </a>
                </li>
              ))}
            </ul>
          </section>

          <section aria-labelledby="transfers" class="panel">
            <h2 id="transfers">Transfers</h2>
            <HourlyChart title="Transfer attempts per hour" points={overview!.transfers.perHour} doneLabel="Done" failedLabel="Failed" />
            <h3>Failures by reason (24 h)</h3>
            {overview!.transfers.failureReasons.length === 0 ? (
              <p class="muted">No transfer failed in 24 hours.</p>
            ) : (
              <table data-testid="failure-reasons">
                <thead>
                  <tr>
                    <th scope="col">Attempts</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Last</th>
                  </tr>
                </thead>
                <tbody>
                  {overview!.transfers.failureReasons.map((r) => (
                    <tr key={r.reason}>
                      <td>{count(r.count)}</td>
                      <td class="wrap" title={r.example}>
                        {r.reason}
                      </td>
                      <td>{ago(r.last)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>

          <section aria-labelledby="deletions" class="panel">
            <h2 id="deletions">Deletions</h2>
            <HourlyChart title="Replica deletions per hour" points={overview!.deletions.perHour} doneLabel="Deleted" failedLabel="Failed" />
            <p class="muted">{bytes(overview!.deletions.perHour.reduce((n, h) => n + h.bytes, 0))} freed in 24 h.</p>
          </section>
        </>
      )}
    </>
  );
}
