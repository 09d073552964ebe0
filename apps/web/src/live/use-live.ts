import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** How often pages poll the API while they are visible. */
export const LIVE_INTERVAL_MS = 5000;

export interface Live<T> {
  data?: T;
  error?: Error;
  /** When the data was last fetched. */
  updatedAt?: Date;
  refresh(): void;
}

/**
 * Data that stays current: fetched at once, again every `intervalMs` while the tab is visible (and at once when it
 * becomes visible again), and whenever `deps` change. A failed poll keeps the last data and shows the error.
 */
export function useLive<T>(fetcher: (signal: AbortSignal) => Promise<T>, deps: unknown[], intervalMs = LIVE_INTERVAL_MS): Live<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; updatedAt?: Date }>({});
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    setState((s) => ({ ...s, data: undefined, error: undefined }));
  }, deps);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const run = async () => {
      if (document.hidden) return;
      try {
        const data = await fetcherRef.current(controller.signal);
        if (!stopped) setState({ data, error: undefined, updatedAt: new Date() });
      } catch (error) {
        if (!stopped && !(error instanceof DOMException && error.name === 'AbortError')) {
          setState((s) => ({ ...s, error: error instanceof Error ? error : new Error(String(error)) }));
        }
      }
      if (!stopped && intervalMs > 0) timer = setTimeout(run, intervalMs);
    };
    const onVisible = () => {
      if (document.hidden) return;
      clearTimeout(timer);
      void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [...deps, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, refresh };
}
