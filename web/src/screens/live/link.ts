// The live session's audio socket (`/api/live/:id/audio`): one binary message per Opus packet
// (4-byte big-endian sequence number + the packet), and the server's notices back as JSON text.
// A dropped link is tried again once (a Wi-Fi hiccup); the server keeps the session for that and
// ends it anyway after 10 s without audio. Each socket starts its own sequence at 0.
import { liveMessage } from './audio.js';
import type { LiveUnit } from './types.js';

export interface LinkHandlers {
  /** The server is ready for audio (on the first socket and on a successful reconnect). */
  ready(): void;
  units(units: LiveUnit[]): void;
  dropped(seq: number | null, reason: string): void;
  /** The link dropped; trying once more. */
  reconnecting(): void;
  /** The session is over: said by the server, or the link could not be brought back. */
  ended(reason: string | null, lost: boolean): void;
}

export interface Link {
  send(packet: Uint8Array): void;
  /** Closes the socket normally (the server ends the session with it). */
  close(): void;
}

/** More than this waiting in the socket's buffer (about 1.5 s of audio): packets are dropped, not queued. */
const MAX_BUFFERED = 16_000;
const RETRY_MS = 500;

export function openLink(sessionId: string, h: LinkHandlers): Link {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live/${encodeURIComponent(sessionId)}/audio`;
  let ws: WebSocket | null = null;
  let ready = false;
  let seq = 0;
  let retried = false;
  let over = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const finish = (reason: string | null, lost: boolean) => {
    if (over) return;
    over = true;
    clearTimeout(retryTimer);
    h.ended(reason, lost);
  };

  const connect = () => {
    const socket = new WebSocket(url);
    ws = socket;
    ready = false;
    seq = 0;
    let endReason: string | null = null;
    socket.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      let msg: { type?: string; units?: LiveUnit[]; seq?: number | null; reason?: string };
      try {
        msg = JSON.parse(e.data) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'ready') {
        ready = true;
        // Back and stable: a later drop gets its own try again.
        retried = false;
        h.ready();
      } else if (msg.type === 'units' && Array.isArray(msg.units)) h.units(msg.units);
      else if (msg.type === 'dropped') h.dropped(msg.seq ?? null, msg.reason ?? '');
      else if (msg.type === 'ended') endReason = msg.reason ?? '';
    };
    socket.onclose = (e) => {
      if (ws !== socket || over) return;
      ws = null;
      ready = false;
      // The server said it is over (stopped elsewhere, silent too long), or refused this socket
      // for good (4000 + HTTP status: not yours, ended, gone).
      if (endReason !== null || e.code === 1000 || e.code >= 4000)
        return finish(endReason ?? (e.reason || null), false);
      if (retried) return finish(null, true);
      retried = true;
      h.reconnecting();
      retryTimer = setTimeout(connect, RETRY_MS);
    };
  };
  connect();

  return {
    send(packet) {
      if (!ws || !ready || ws.readyState !== WebSocket.OPEN) return;
      // Live audio late is audio lost: a congested link drops packets rather than queueing delay.
      if (ws.bufferedAmount > MAX_BUFFERED) {
        seq++;
        return;
      }
      ws.send(liveMessage(seq++, packet));
    },
    close() {
      over = true;
      clearTimeout(retryTimer);
      const socket = ws;
      ws = null;
      socket?.close(1000, 'stopped');
    },
  };
}
