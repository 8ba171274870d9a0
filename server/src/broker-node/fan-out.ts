// Numbers each message a broker node fans out in the order it goes out (issue #10).
//
// aedes gives every message its node's id and the next value of a counter (`brokerId`,
// `brokerCounter`) when it arrives, and a receiving client drops any message whose counter is not
// above the highest it has seen from that node: its guard against a message delivered twice
// through overlapping subscriptions (`dedupe` in aedes/lib/client.js). That holds while messages
// leave in the order they arrived — true in one process, where the in-memory persistence answers
// within the same turn. On a node, a retained message waits for its Redis writes (the retained
// hash and our topic index) before it goes out, and a plain one arriving just after does not
// wait: it overtakes, and every subscriber then drops the retained one as a duplicate. Measured:
// under a burst of statuses and events from units, every status was lost (order.test.ts); in the
// fleet benchmark, plans that units had acknowledged never reached the server.
//
// Renumbering at the moment of fan-out restores what the library assumes: one node's messages
// reach Redis through one connection, in order, and each other node receives them in that order,
// so the counter a client sees only grows, and `dedupe` drops only a true duplicate (the same
// fan-out matched by two of one client's subscriptions carries the same number).
import { randomUUID } from 'node:crypto';

interface FanOut {
  emit(packet: object, done?: (err?: Error) => void): unknown;
}

/** Makes `mq` stamp each message it emits with this node's id and its place in the fan-out order. */
export function numberedAtFanOut<T extends FanOut>(mq: T, nodeId: string = randomUUID()): T {
  const emit = mq.emit.bind(mq);
  let counter = 0;
  mq.emit = (packet, done) => {
    // The packet's own fields (aedes-packet): set on the object aedes hands over, as aedes does.
    Object.assign(packet, { brokerId: nodeId, brokerCounter: ++counter });
    return emit(packet, done);
  };
  return mq;
}
