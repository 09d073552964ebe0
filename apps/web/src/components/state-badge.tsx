const TONE: Record<string, string> = {
  OK: 'good', AVAILABLE: 'good', alive: 'good', DONE: 'good', ACTIVE: 'good', yes: 'good',
  REPLICATING: 'busy', COPYING: 'busy', INJECT: 'busy', QUEUED: 'busy', SUBMITTED: 'busy', RUNNING: 'busy', WAITING: 'busy',
  WAITING_APPROVAL: 'warn', SUSPICIOUS: 'warn', SUSPENDED: 'warn', TEMPORARY_UNAVAILABLE: 'warn', INACTIVE: 'warn', no: 'warn',
  STUCK: 'bad', BAD: 'bad', dead: 'bad', FAILED: 'bad', LOST: 'bad', UNAVAILABLE: 'bad', ABANDONED: 'bad',
};

/** A state as a coloured label; the colour repeats the word, it never replaces it. */
export function StateBadge(props: { state: string }) {
  return <span class={`badge ${TONE[props.state] ?? 'plain'}`}>{props.state}</span>;
}
