/** Server-side paging: the page holds rows `offset + 1` to `offset + shown`; `more` says whether another page follows. */
export function Pager(props: { offset: number; shown: number; pageSize: number; more: boolean; onChange: (offset: number) => void }) {
  const { offset, shown, pageSize, more, onChange } = props;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - pageSize))}>
        Previous
      </button>
      <span>{shown === 0 ? 'no rows' : `rows ${offset + 1}–${offset + shown}`}</span>
      <button type="button" disabled={!more} onClick={() => onChange(offset + pageSize)}>
        Next
      </button>
    </nav>
  );
}
