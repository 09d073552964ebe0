/**
 * Process-local announcement that RSEs, their attributes, limits or usage changed (after the change
 * committed). Every RseExpressionService of the process flushes its cache on it; other processes learn of
 * the change through `NOTIFY tarn_rse_changed` (see RseChangeListener).
 */
type Listener = () => void;

const listeners = new Set<Listener>();

export function onRsesChangedInProcess(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Call after the transaction that changed RSEs committed (and after it failed: a flush is harmless). */
export function rsesChangedInProcess(): void {
  for (const listener of listeners) listener();
}
