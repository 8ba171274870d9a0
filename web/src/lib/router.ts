// A hash router (`#/units/cum-1?tab=log`): works from any static host and needs no server routes.
import { createStore, useStore } from './store.js';

export interface Route {
  /** Path segments: `#/units/cum-1` → ['units', 'cum-1']. */
  segments: string[];
  params: URLSearchParams;
}

function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = raw.split('?', 2);
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

const route = createStore<Route>(parse(location.hash));
window.addEventListener('hashchange', () => route.set(parse(location.hash)));

export const useRoute = () => useStore(route);

/** `href('units', id)` → `#/units/id` (segments encoded). */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

export function navigate(to: string) {
  if (location.hash !== to) location.hash = to;
}

/** Changes one query parameter of the current route without adding a history entry per keystroke. */
export function setParam(name: string, value: string | null) {
  const current = route.get();
  const params = new URLSearchParams(current.params);
  if (value === null || value === '') params.delete(name);
  else params.set(name, value);
  const q = params.toString();
  const next = `#/${current.segments.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
  history.replaceState(null, '', next);
  route.set(parse(next));
}
