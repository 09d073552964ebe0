import type { Rule } from '../api/types.js';
import { when } from '../format.js';
import { ProgressBar } from './progress-bar.js';
import { StateBadge } from './state-badge.js';

/**
 * Rules with their state and the progress of their locks, each linking to its page: by its DID, or (where every rule
 * is on the same DID) by its state.
 */
export function RulesTable(props: { rules: Rule[]; withDid: boolean; testId: string }) {
  return (
    <table data-testid={props.testId}>
      <thead>
        <tr>
          {props.withDid && <th scope="col">DID</th>}
          <th scope="col">Account</th>
          <th scope="col">RSE expression</th>
          <th scope="col">Copies</th>
          <th scope="col">State</th>
          <th scope="col">Progress</th>
          <th scope="col">Expires</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {props.rules.map((r) => (
          <tr key={r.id} data-rule={r.id} data-state={r.state}>
            {props.withDid && (
              <th scope="row">
                <a href={`/ui/rules/${r.id}`}>
                  {r.scope}:{r.name}
                </a>
              </th>
            )}
            <td>{r.account}</td>
            <td>
              <code>{r.rse_expression}</code>
            </td>
            <td>{r.copies}</td>
            <td>
              {props.withDid ? (
                <StateBadge state={r.state} />
              ) : (
                <a href={`/ui/rules/${r.id}`} aria-label={`Rule ${r.id}: ${r.state}`}>
                  <StateBadge state={r.state} />
                </a>
              )}
            </td>
            <td>
              <ProgressBar ok={r.locks_ok_cnt} replicating={r.locks_replicating_cnt} stuck={r.locks_stuck_cnt} />
            </td>
            <td>{r.expires_at ? when(r.expires_at) : 'never'}</td>
            <td>{when(r.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
