// A unit's network link, for drills (issue #10): a TCP relay between one agent and the broker that
// a test can cut, as a 4G link that falls drops the connection under the agent. Both ends are
// destroyed at once: the broker sees the socket close without a DISCONNECT (and publishes the
// agent's will), the agent sees its connection close and reconnects through the relay again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LinkProxy {
  url: string;
  /** Connections the relay has accepted so far. */
  readonly connections: number;
  /** Drops every connection that crosses the link now. */
  cut(): void;
  close(): Promise<void>;
}

export async function startLinkProxy(brokerPort: number): Promise<LinkProxy> {
  const open = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((inbound) => {
    connections++;
    const outbound = connect(brokerPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('error', () => undefined);
      s.once('close', () => {
        open.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    for (const s of open) s.destroy();
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    cut,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
