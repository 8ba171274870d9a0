// Loading data for a screen: the answer, the error in words, and a reload that screens call when
// the live feed says something changed.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.js';
import { api } from './api.js';
import { onLive } from './live.js';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (nothing while it is null) and again whenever it changes or `reload` is called. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; path: string | null }>({
    loading: path !== null,
    path,
  });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (path === null) {
      setState({ loading: false, path });
      return;
    }
    const call = ++latest.current;
    setState((s) => ({ ...s, loading: true, path }));
    api.get<T>(path).then(
      (data) => call === latest.current && setState({ data, loading: false, path }),
      (error: ApiError) => call === latest.current && setState({ error, loading: false, path }),
    );
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // Data of another path is never shown under this one.
  const same = state.path === path;
  return {
    data: same ? state.data : undefined,
    error: same ? state.error : undefined,
    loading: !same || state.loading,
    reload,
  };
}

/** Calls `fn` (debounced) on each of these live event types, and after each reconnection. */
export function useLiveReload(types: string[], fn: () => void, filter?: (msg: Record<string, unknown>) => boolean) {
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const key = types.join(',');
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = (msg: Record<string, unknown>) => {
      if (filterRef.current && msg.type !== 'resync' && !filterRef.current(msg)) return;
      clearTimeout(timer);
      timer = setTimeout(() => fnRef.current(), 300);
    };
    const offs = ['resync', ...key.split(',')].map((type) => onLive(type, fire));
    return () => {
      clearTimeout(timer);
      offs.forEach((off) => off());
    };
  }, [key]);
}
