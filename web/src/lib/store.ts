// A tiny observable value and its hook: enough state management for this app, with no library.
import { useEffect, useReducer, useRef } from 'preact/hooks';

export interface Store<T> {
  get(): T;
  set(next: T): void;
  update(fn: (current: T) => T): void;
  subscribe(fn: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const subscribers = new Set<() => void>();
  const set = (next: T) => {
    if (Object.is(next, value)) return;
    value = next;
    for (const fn of [...subscribers]) fn();
  };
  return {
    get: () => value,
    set,
    update: (fn) => set(fn(value)),
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/**
 * Subscribes `onChange` to the store, and calls it at once if the store changed since `seen` was
 * read. A component reads the store when it renders and subscribes in an effect, which runs after
 * the next frame (up to 100 ms later, more on a busy machine): a change in between, such as the
 * communes list arriving while a lazily loaded screen first renders, was otherwise missed and the
 * screen said "Loading…" until something else made it render (the likely cause of the layout
 * test's failures after a reload, whose screenshot showed that; not reproduced on demand).
 */
export function subscribeSince<T>(store: Store<T>, seen: T, onChange: () => void): () => void {
  const unsubscribe = store.subscribe(onChange);
  if (!Object.is(store.get(), seen)) onChange();
  return unsubscribe;
}

/** Re-renders the component whenever the store changes. */
export function useStore<T>(store: Store<T>): T {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const value = store.get();
  const rendered = useRef(value);
  rendered.current = value;
  useEffect(() => subscribeSince(store, rendered.current, () => tick(1)), [store]);
  return value;
}
