// The live feed (GET /api/ws): hub events pushed by the server as `{type, ...payload}`. The
// connection comes back by itself after a network cut or a server restart; on every (re)connect
// the screens reload what they show, so nothing missed while away stays wrong on screen.
import { createStore, useStore } from './store.js';

export type LiveState = 'connecting' | 'live' | 'down';
export const liveState = createStore<LiveState>('connecting');
export const useLiveState = () => useStore(liveState);

export interface LiveMessage {
  type: string;
  [key: string]: unknown;
}

type Listener = (msg: LiveMessage) => void;
const listeners = new Map<string, Set<Listener>>();
let socket: WebSocket | null = null;
let retryMs = 500;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let wanted = false;
let onSessionEnded: () => void = () => undefined;
let onRefused: () => void = () => undefined;

/** Subscribes to one event type ('resync' fires after each (re)connection). */
export function onLive(type: string, fn: Listener): () => void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

function dispatch(msg: LiveMessage) {
  for (const fn of [...(listeners.get(msg.type) ?? [])]) fn(msg);
}

function connect() {
  clearTimeout(retryTimer);
  if (!wanted) return;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`);
  socket = ws;
  let greeted = false;
  ws.onmessage = (e) => {
    let msg: LiveMessage;
    try {
      msg = JSON.parse(String(e.data)) as LiveMessage;
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      greeted = true;
      retryMs = 500;
      liveState.set('live');
      dispatch({ type: 'resync' });
      return;
    }
    dispatch(msg);
  };
  ws.onclose = (e) => {
    if (socket !== ws) return;
    socket = null;
    if (!wanted) return;
    liveState.set('down');
    // 4401: the session ended (signed out elsewhere, expired, account disabled).
    if (e.code === 4401) return onSessionEnded();
    // Refused before it opened (a 401 has no close code a page can read): ask whether the session
    // is still there, so a signed-out page shows the sign-in form rather than retrying forever.
    if (!greeted) onRefused();
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 10_000);
  };
}

export function startLive(sessionEnded: () => void, refused: () => void) {
  onSessionEnded = sessionEnded;
  onRefused = refused;
  if (wanted) return;
  wanted = true;
  liveState.set('connecting');
  connect();
}

export function stopLive() {
  wanted = false;
  clearTimeout(retryTimer);
  socket?.close();
  socket = null;
}

// A laptop waking from sleep or a phone regaining signal: try at once rather than after the backoff.
window.addEventListener('online', () => {
  if (wanted && !socket) {
    retryMs = 500;
    connect();
  }
});
