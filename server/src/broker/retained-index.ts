// The embedded broker's memory persistence with its retained messages in a topic tree (issue #10).
// aedes-persistence keeps them in one flat Map and, on every SUBSCRIBE, tests every retained topic
// against the filter: with a province's retained plans and statuses (two per unit) that is
// O(units) per subscription and O(units²) for a fleet reconnecting after a restart — measured at
// 2,000 units as the largest single cost of the server's CPU. In a tree, a filter visits only the
// branches it can match: `loa/v1/units/{id}/plan` is a walk of five levels, and a media filter
// `loa/v1/media/{sha}/+/+` finds nothing at once (chunks are never retained).
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { AedesPublishPacket as AedesPacket } from 'aedes';

interface MemoryPersistenceBase {
  storeRetained(packet: AedesPacket): Promise<void>;
  createRetainedStream(pattern: string): Readable;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

// The async memory persistence aedes itself uses by default, extended below for its retained part
// only (everything else — subscriptions, sessions, wills, in-flight packets — is the library's).
const require = createRequire(import.meta.url);
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new () => MemoryPersistenceBase;

interface Node {
  children: Map<string, Node>;
  packet: AedesPacket | undefined;
}

const newNode = (): Node => ({ children: new Map(), packet: undefined });

/** Retained messages by topic level; match() follows MQTT's `+` and `#` (3.1.1 §4.7). */
export class RetainedTree {
  private readonly root = newNode();
  size = 0;

  set(topic: string, packet: AedesPacket | undefined): void {
    const path: Node[] = [this.root];
    let node = this.root;
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        if (!packet) return; // clearing a topic that holds nothing
        node.children.set(level, (child = newNode()));
      }
      path.push((node = child));
    }
    if (node.packet && !packet) this.size--;
    if (!node.packet && packet) this.size++;
    node.packet = packet;
    if (packet) return;
    // Prune the branch left empty, so a province's retired units leave nothing behind.
    const levels = topic.split('/');
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i]!;
      if (n.packet || n.children.size) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }

  *match(filter: string): Generator<AedesPacket> {
    yield* this.walk(this.root, filter.split('/'), 0);
  }

  private *walk(node: Node, levels: string[], i: number): Generator<AedesPacket> {
    if (i === levels.length) {
      if (node.packet) yield node.packet;
      return;
    }
    const level = levels[i]!;
    // Wildcards in the first level never match topics starting with `$` (MQTT 3.1.1 §4.7.2); and,
    // as in the library's matcher (qlobber without match_empty_levels), `+` never matches an empty level.
    const visible = (name: string) => name !== '' && (i > 0 || !name.startsWith('$'));
    if (level === '#') {
      if (node.packet && i > 0) yield node.packet; // `a/#` also matches `a`
      yield* this.all(node, i === 0);
    } else if (level === '+') {
      for (const [name, child] of node.children) if (visible(name)) yield* this.walk(child, levels, i + 1);
    } else {
      const child = node.children.get(level);
      if (child) yield* this.walk(child, levels, i + 1);
    }
  }

  private *all(node: Node, top: boolean): Generator<AedesPacket> {
    for (const [name, child] of node.children) {
      if (top && name.startsWith('$')) continue;
      if (child.packet) yield child.packet;
      yield* this.all(child, false);
    }
  }
}

export class IndexedMemoryPersistence extends MemoryPersistence {
  private readonly retained = new RetainedTree();

  override async storeRetained(pkt: AedesPacket): Promise<void> {
    // A copy, as the library keeps one: the packet object goes on to other subscribers.
    this.retained.set(pkt.topic, pkt.payload.length === 0 ? undefined : { ...pkt });
  }

  override createRetainedStream(pattern: string): Readable {
    return Readable.from(this.retained.match(pattern));
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    const tree = this.retained;
    return Readable.from(
      (function* () {
        for (const p of patterns) yield* tree.match(p);
      })(),
    );
  }

  /** How many retained messages the broker holds. */
  get retainedCount(): number {
    return this.retained.size;
  }
}
