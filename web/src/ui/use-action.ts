// Runs a change against the API: busy while it runs (buttons disable), the error in words after,
// and the field the server named gets the focus so the operator sees what to fix.
import { useCallback, useState } from 'preact/hooks';
import { ApiError } from '../lib/api.js';

export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.field) focusField(err.field);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}

/** Focuses the input whose `data-field` (or name) matches the server's `field`, e.g. `recurrence.pinnedTimes`. */
export function focusField(field: string) {
  const el =
    document.querySelector<HTMLElement>(`[data-field="${CSS.escape(field)}"]`) ??
    document.querySelector<HTMLElement>(`[name="${CSS.escape(field.split('.').pop() ?? field)}"]`);
  el?.focus();
}
