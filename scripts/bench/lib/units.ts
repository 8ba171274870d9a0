// What every fleet benchmark does first: create its units through the server's API, as an operator
// or the enrollment script would, each with its own one-time secret; and then connect many units a
// few at a time, as a fleet coming back after a broker restart would not all in one tick.
import type { ApiClient } from '../../../server/src/testing/api-client.js';

export interface UnitLogin {
  id: string;
  secret: string;
}

/** Creates `n` units named `{prefix}-00000`…; resolves with their secrets and the server's public key. */
export async function createUnits(
  api: ApiClient,
  n: number,
  prefix: string,
  concurrency = 8,
): Promise<{ units: UnitLogin[]; serverKeyPem: string }> {
  const units: UnitLogin[] = [];
  let serverKeyPem = '';
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  await inParallel(ids, concurrency, async (id) => {
    const res = await api.post<{ secret: string; serverPublicKey: string }>('/api/units', { id, name: id });
    if (res.status !== 201) throw new Error(`creating ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    units.push({ id, secret: res.body.secret });
    serverKeyPem = res.body.serverPublicKey;
  });
  units.sort((a, b) => a.id.localeCompare(b.id));
  return { units, serverKeyPem };
}

/** Runs `fn` over `items` with at most `concurrency` calls under way. */
export async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}
