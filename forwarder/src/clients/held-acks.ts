// The one place the forwarder reaches into mqtt.js internals (mqtt 5.x).
//
// mqtt.js acknowledges an incoming QoS 1 PUBLISH as soon as handleMessage()'s
// callback runs, and answers a QoS 2 PUBLISH with PUBREC as soon as it is in
// the incoming store (src/lib/handlers/publish.ts); both go out through the
// private MqttClient#_sendPacket(packet, done), and `done` lets mqtt.js parse
// the next packet. The forwarder must acknowledge only after the target broker
// confirmed the republish, without serializing the stream. So this wrapper
// swallows PUBACK/PUBREC there (handing `done` to the caller, who runs it now
// or later for backpressure) and gives the caller a way to send them itself,
// in order (pipeline/ordered-acks.ts). QoS 0 PUBLISHes get the same
// backpressure through the public handleMessage(packet, done) hook.
//
// Holding PUBREC also makes QoS 2 crash-safe: the broker keeps ownership of
// the message until PUBREC, so a crash before the target confirmed means a
// redelivery (a duplicate at worst), never a loss.
//
// held-acks.test.ts runs mqtt.js against a scripted broker and fails if
// these internals change.

import type { MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

interface Internals {
  _sendPacket?: SendPacket;
}

export interface HeldAcks {
  /** Sends the PUBACK (qos 1) or PUBREC (qos 2) that mqtt.js wanted to send. */
  sendAck(qos: 1 | 2, messageId: number): void;
  /** Writes a packet now, bypassing mqtt.js's outgoing store and offline queue. */
  writeUnstored(packet: Packet): void;
}

/**
 * Takes over PUBACK/PUBREC of `client`. `admit(done)` runs after each incoming
 * PUBLISH (QoS 0: when handled; QoS 1/2: instead of sending the ack); call
 * `done` to let mqtt.js read the next packet.
 */
export function holdPublishAcks(client: MqttClient, admit: (done: () => void) => void): HeldAcks {
  const internals = client as unknown as Internals;
  const original = internals._sendPacket;
  if (typeof original !== 'function') {
    throw new Error(
      'mqtt.js internals changed: MqttClient#_sendPacket is missing. Update forwarder/src/clients/held-acks.ts for this mqtt version.',
    );
  }
  const send: SendPacket = original.bind(client);
  const noop = () => undefined;
  internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd === 'puback' || packet.cmd === 'pubrec') {
      admit(cb ?? noop);
      return;
    }
    send(packet, cb, cbStorePut, noStore);
  };
  // QoS 1 reaches _sendPacket through this callback, and QoS 2 calls it on PUBREL (before PUBCOMP).
  client.handleMessage = (packet, callback) => {
    if (packet.qos === 0) admit(() => callback());
    else callback();
  };
  return {
    sendAck: (qos, messageId) => send(qos === 1 ? { cmd: 'puback', messageId } : { cmd: 'pubrec', messageId }),
    writeUnstored: (packet) => send(packet, undefined, undefined, true),
  };
}
