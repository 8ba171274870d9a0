// Reads and drops what is left of a request's body, so an early answer (a refusal) can be read by
// the client and the connection stays usable. Gives up past `maxBytes` or `ms`.
import type { IncomingMessage } from 'node:http';

/** True when the body ended within the bounds; false when the caller should close the connection. */
export function drainBody(req: IncomingMessage, maxBytes: number, ms: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ok: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onError = () => done(false);
    const onClose = () => done(req.complete);
    const timer = setTimeout(() => done(false), ms);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    req.resume();
  });
}
