// The broker node's Redis libraries (aedes-persistence-redis, mqemitter-redis) send some commands
// without waiting for them: a will's place in the list of wills, a stale offline message, the QUIT
// of a closing fan-out connection. With Redis gone, or gone while a command was on the wire, each
// of them rejected a promise nobody held ("Connection is closed."), and Node ends the process on an
// unhandled rejection, when a broker node must outlive an outage (it retries; the connection's own
// error is logged by connectRedis) and close cleanly in one.
import type { Redis } from 'ioredis';

/**
 * The connection as a library gets it: every command's promise is marked as handled. Whoever
 * waits on a command still gets its error.
 */
export function withFloatingCommandsHandled(conn: Redis): Redis {
  return new Proxy(conn, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (out instanceof Promise) out.catch(() => undefined);
        return out;
      };
    },
  });
}
