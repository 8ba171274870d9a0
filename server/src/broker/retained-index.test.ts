// The retained-message tree of the embedded broker (issue #10) must find exactly what the
// library's own matcher (qlobber, as aedes-persistence uses it) finds, only faster.
import { createRequire } from 'node:module';
import type { AedesPublishPacket } from 'aedes';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedMemoryPersistence, RetainedTree } from './retained-index.js';

const require = createRequire(import.meta.url);
const { QlobberTrue } = require('qlobber') as {
  QlobberTrue: new (o: object) => { add(p: string): void; test(t: string): boolean };
};
const reference = (filter: string, topic: string) => {
  const q = new QlobberTrue({ wildcard_one: '+', wildcard_some: '#', separator: '/' });
  q.add(filter);
  return q.test(topic);
};

const packet = (topic: string, payload = 'x') =>
  ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }) as AedesPublishPacket;

const level = fc.constantFrom('loa', 'v1', 'units', 'a', 'b', 'plan', 'status', '');
const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/'));
const filter = fc
  .array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 })
  .chain((l) => fc.boolean().map((hash) => (hash ? [...l, '#'] : l).join('/')));

describe('the retained-message tree', () => {
  it('matches every filter exactly as the library’s matcher does', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(topic, { maxLength: 30 }),
        fc.array(filter, { minLength: 1, maxLength: 10 }),
        (topics, filters) => {
          const tree = new RetainedTree();
          for (const t of topics) tree.set(t, packet(t));
          for (const f of [...filters, '#', '+']) {
            const got = [...tree.match(f)].map((p) => p.topic).sort();
            expect(got, f).toEqual(topics.filter((t) => reference(f, t)).sort());
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forgets a topic cleared with an empty payload, and prunes its branch', () => {
    const tree = new RetainedTree();
    tree.set('loa/v1/units/a/plan', packet('loa/v1/units/a/plan'));
    tree.set('loa/v1/units/b/plan', packet('loa/v1/units/b/plan'));
    tree.set('loa/v1/units/a/plan', undefined);
    tree.set('loa/v1/units/zzz/plan', undefined); // never held: nothing happens
    expect([...tree.match('loa/v1/units/+/plan')].map((p) => p.topic)).toEqual(['loa/v1/units/b/plan']);
    expect([...tree.match('loa/v1/units/+')]).toEqual([]);
    expect(tree.size).toBe(1);
  });

  it('keeps topics starting with $ away from first-level wildcards (MQTT 3.1.1 §4.7.2)', () => {
    const tree = new RetainedTree();
    tree.set('$SYS/broker/uptime', packet('$SYS/broker/uptime'));
    tree.set('loa/v1/x', packet('loa/v1/x'));
    expect([...tree.match('#')].map((p) => p.topic)).toEqual(['loa/v1/x']);
    expect([...tree.match('+/broker/uptime')]).toEqual([]);
    expect([...tree.match('$SYS/#')].map((p) => p.topic)).toEqual(['$SYS/broker/uptime']);
  });

  it('holds the latest packet per topic and streams what a subscription matches', async () => {
    const p = new IndexedMemoryPersistence();
    await p.storeRetained(packet('loa/v1/units/a/plan', 'v1'));
    await p.storeRetained(packet('loa/v1/units/a/plan', 'v2'));
    await p.storeRetained(packet('loa/v1/units/b/status', 'on'));
    await p.storeRetained(packet('loa/v1/units/b/status', ''));
    const got: string[] = [];
    for await (const m of p.createRetainedStreamCombi(['loa/v1/units/a/plan', 'loa/v1/units/+/status']))
      got.push(`${(m as AedesPublishPacket).topic}=${(m as AedesPublishPacket).payload.toString()}`);
    expect(got).toEqual(['loa/v1/units/a/plan=v2']);
    expect(p.retainedCount).toBe(1);
  });

  it('finds each unit’s own plan among a province’s retained messages, and no media chunk', () => {
    const tree = new RetainedTree();
    for (let i = 0; i < 5000; i++) {
      tree.set(`loa/v1/units/cum-${i}/plan`, packet(`loa/v1/units/cum-${i}/plan`));
      tree.set(`loa/v1/units/cum-${i}/status`, packet(`loa/v1/units/cum-${i}/status`));
    }
    let found = 0;
    for (let i = 0; i < 5000; i++) found += [...tree.match(`loa/v1/units/cum-${i}/plan`)].length;
    found += [...tree.match(`loa/v1/media/${'a'.repeat(64)}/+/+`)].length;
    expect(found).toBe(5000);
  });
});
