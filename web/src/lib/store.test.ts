// The store's subscription as its hook makes it (store.ts): a change between the render that read
// the store and the effect that subscribes is not lost.
import { describe, expect, it } from 'vitest';
import { createStore, subscribeSince } from './store.js';

describe('subscribeSince', () => {
  it('tells at once of a change made between the read and the subscription', () => {
    const store = createStore({ list: [] as string[] });
    const seen = store.get(); // the render
    store.set({ list: ['xa-ta-xua'] }); // the communes arrive before the effect runs
    let changes = 0;
    subscribeSince(store, seen, () => changes++);
    expect(changes).toBe(1);
  });

  it('says nothing when nothing changed, then follows each change until unsubscribed', () => {
    const store = createStore(1);
    let changes = 0;
    const unsubscribe = subscribeSince(store, store.get(), () => changes++);
    expect(changes).toBe(0);
    store.set(2);
    store.set(2); // the same value: no change
    expect(changes).toBe(1);
    unsubscribe();
    store.set(3);
    expect(changes).toBe(1);
  });
});
