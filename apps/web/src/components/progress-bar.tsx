/** A rule's locks: OK, replicating and stuck as one bar, with the numbers in words for screen readers. */
export function ProgressBar(props: { ok: number; replicating: number; stuck: number }) {
  const total = props.ok + props.replicating + props.stuck;
  const share = (n: number) => (total === 0 ? 0 : (100 * n) / total);
  const label = `${props.ok} of ${total} locks OK, ${props.replicating} replicating, ${props.stuck} stuck`;
  return (
    <div class="progress" role="img" aria-label={label} title={label}>
      <span class="ok" style={{ width: `${share(props.ok)}%` }} />
      <span class="replicating" style={{ width: `${share(props.replicating)}%` }} />
      <span class="stuck" style={{ width: `${share(props.stuck)}%` }} />
    </div>
  );
}

/** Used space against a limit (or against used + free). */
export function UsageBar(props: { used: number; capacity: number | null; label: string }) {
  const share = props.capacity && props.capacity > 0 ? Math.min(100, (100 * props.used) / props.capacity) : 0;
  const tone = share >= 95 ? 'stuck' : share >= 80 ? 'replicating' : 'ok';
  return (
    <div class="progress usage" role="img" aria-label={props.label} title={props.label}>
      <span class={tone} style={{ width: `${share}%` }} />
    </div>
  );
}
