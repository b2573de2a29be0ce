import { useCallback, useEffect, useRef, useState } from "react";

export interface Loaded<T> {
  /** The last data loaded (kept while the next load is out, so a list does not blink). */
  data: T | null;
  error: unknown;
  loading: boolean;
  /** Load again now; resolves once the page shows the new data (to move focus after an action). */
  reload(): Promise<void>;
}

/**
 * Data for a console page: loaded when `key` changes (the page's id or URL query), the previous
 * request aborted, errors kept for the page to show.
 */
export function useLoad<T>(load: (signal?: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loadRef.current(ctl.signal).then(
      (data) => setState({ data, error: null, loading: false }),
      (error: unknown) => {
        if (!ctl.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
  }, [key]);

  const reload = useCallback(async () => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loadRef.current();
      setState({ data, error: null, loading: false });
    } catch (error) {
      setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, []);

  return { ...state, reload };
}
