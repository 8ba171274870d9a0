// For tests (issue #8): a tiny HTTP "station" streaming an MP3 file at real-time pace, as an
// Icecast mount does, with a short burst on connect. `down()` cuts every listener and answers
// 503 until `up()`: the source dying mid-relay.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface StreamServer {
  url: string;
  /** Connections served so far. */
  readonly connections: number;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startStreamServer(mp3: string, bitrate: number): Promise<StreamServer> {
  const data = readFileSync(mp3);
  const perTick = Math.round(bitrate / 8 / 10); // bytes per 100 ms
  let alive = true;
  let connections = 0;
  const listeners = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    if (!alive) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('source down');
      return;
    }
    connections++;
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'icy-name': 'test station' });
    listeners.add(res);
    let offset = 0;
    const send = (bytes: number) => {
      if (offset >= data.length) offset = 0; // loops, as a station never ends
      res.write(data.subarray(offset, offset + bytes));
      offset += bytes;
    };
    send(perTick * 10); // one second of burst, so a listener starts at once
    const timer = setInterval(() => send(perTick), 100);
    res.on('close', () => {
      clearInterval(timer);
      listeners.delete(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/vov1.mp3`,
    get connections() {
      return connections;
    },
    down() {
      alive = false;
      for (const res of listeners) res.socket?.destroy();
    },
    up() {
      alive = true;
    },
    close() {
      for (const res of listeners) res.socket?.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
