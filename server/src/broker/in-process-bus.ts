// The server's bus on its own embedded broker, without a socket (issue #10). Over a loopback MQTT
// connection every unit message was written by aedes to the server's socket, parsed again by
// mqtt.js and acknowledged back (parsed again by aedes), and every plan, event acknowledgement and
// media chunk the server published made the same trip the other way: at 5,000 units that was a
// large share of the event loop (socket writes were the largest single cost of a CPU profile).
// Here the server subscribes and publishes through aedes' own API: the same topics, the same
// retained store, the same fan-out (sliced, sliced-emitter.ts), and the same rules: the server may
// publish and subscribe to anything (acl.ts), units are still checked on every message.
//
// What differs from a client, on purpose: no retained message is replayed on subscribe (the
// embedded broker starts empty with the server, and the server subscribes before any unit can
// connect), and there is no reconnect (the broker lives and dies with the server).
import type { Aedes } from 'aedes';
import { serverSubscriptions } from '@loa/shared';
import { dispatch, type Bus, type MessageHandler } from './bus.js';

interface DeliveredPacket {
  topic: string;
  payload: Buffer | string;
}

export async function inProcessBus(broker: Aedes, log: { error(obj: object, msg: string): void }): Promise<Bus> {
  const handlers = new Map<string, MessageHandler>();
  let open = true;
  const deliver = (packet: DeliveredPacket, done: () => void) => {
    if (open) {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      dispatch(handlers, packet.topic, payload, log);
    }
    // Completed on the next tick, not at once: the broker's emitter starts the next queued
    // message when one completes, and a queue of thousands completing synchronously, one
    // inside the other, overflowed the stack (in-process-bus.test.ts).
    process.nextTick(done);
  };
  const subscribe = (filter: string) =>
    new Promise<void>((resolve, reject) =>
      broker.subscribe(filter, deliver as never, (err?: Error) => (err ? reject(err) : resolve())),
    );
  await Promise.all(serverSubscriptions.map(subscribe));
  return {
    get connected() {
      return open && !broker.closed;
    },
    on(key, handler) {
      handlers.set(key, handler);
    },
    async publish(topic, payload, opts = {}) {
      if (!open || broker.closed) throw new Error('the embedded MQTT broker is closed');
      const packet = {
        cmd: 'publish' as const,
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: opts.qos ?? 1,
        retain: opts.retain ?? false,
        dup: false,
      };
      // Resolves once the broker stored it (retained) and handed it to every subscriber, as the
      // PUBACK did over a connection: the media distributor is paced by it.
      await new Promise<void>((resolve, reject) =>
        broker.publish(packet as never, (err?: Error) => (err ? reject(err) : resolve())),
      );
    },
    async close() {
      open = false;
      await Promise.all(
        serverSubscriptions.map(
          (filter) => new Promise<void>((resolve) => broker.unsubscribe(filter, deliver as never, () => resolve())),
        ),
      );
    },
  };
}
