// A TCP port free on loopback right now, for a broker, Redis or server a test starts.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}
