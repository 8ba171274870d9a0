// The units list across a change of person (a browser test failed on it under load): the last
// person's read still in flight must neither stand in for the new person's list nor be waited for.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../lib/api.js';
import type { Unit } from '../lib/types.js';
import { resetUnits, startUnits, unitsStore } from './units.js';

// The live feed's module listens for the browser going online; this test has no browser.
vi.hoisted(() => {
  (globalThis as { window?: unknown }).window ??= { addEventListener: () => undefined };
});

const unit = (id: string) => ({ id, name: id, communeId: 'xa', online: true }) as unknown as Unit;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

afterEach(() => vi.restoreAllMocks());

describe('the units of whoever is signed in', () => {
  it("reads the new person's list, whatever becomes of the last person's read", async () => {
    const reads: Array<ReturnType<typeof deferred<{ units: Unit[] }>>> = [];
    vi.spyOn(api, 'get').mockImplementation(() => {
      const d = deferred<{ units: Unit[] }>();
      reads.push(d);
      return d.promise as Promise<never>;
    });
    startUnits(); // the technician's screen: a read in flight
    expect(reads).toHaveLength(1);

    resetUnits(); // the viewer signs in: a read of their own, not the one in flight
    expect(reads).toHaveLength(2);
    reads[1]!.resolve({ units: [unit('cum-nong')] });
    await reads[1]!.promise;
    // The technician's read ends after: refused (they signed out), or with their units.
    reads[0]!.reject(new ApiError(401, 'unauthenticated', 'Sign in.'));
    await reads[0]!.promise.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    const after = unitsStore.get();
    expect([...after.byId.keys()]).toEqual(['cum-nong']);
    expect(after.error).toBeUndefined();

    resetUnits();
    reads[2]!.resolve({ units: [unit('cum-mat')] });
    reads[1]!.resolve({ units: [unit('cum-cua-nguoi-truoc')] }); // settled already: no effect
    await new Promise((r) => setTimeout(r, 0));
    expect([...unitsStore.get().byId.keys()]).toEqual(['cum-mat']);
  });
});
