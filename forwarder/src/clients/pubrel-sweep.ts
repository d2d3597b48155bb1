// After a crash, a target broker may still hold QoS 2 messages of our
// persistent session in the "PUBREC sent, waiting for PUBREL" state. A new
// process reusing one of those packet ids would have its new message taken for
// a duplicate and discarded [MQTT-4.3.3-10]. So on the first connection of a
// process that resumes a session, release every packet id once: the broker
// answers each PUBREL with PUBCOMP (delivering any stale message, which the
// source will redeliver too: a duplicate, never a loss).

import type { MqttClient, Packet } from 'mqtt';

const MAX_PACKET_ID = 65_535;
const PUBREL_HEADER = 0x62; // PUBREL, flags 0b0010 [MQTT-3.6.1-1]
const PUBREL_REMAINING_LENGTH = 2;
const PUBREL_SIZE = 4;

function allPubrels(): Buffer {
  const buffer = Buffer.allocUnsafe(MAX_PACKET_ID * PUBREL_SIZE);
  for (let id = 1; id <= MAX_PACKET_ID; id++) {
    const at = (id - 1) * PUBREL_SIZE;
    buffer[at] = PUBREL_HEADER;
    buffer[at + 1] = PUBREL_REMAINING_LENGTH;
    buffer.writeUInt16BE(id, at + 2);
  }
  return buffer;
}

/** Resolves true when every id was released, false on timeout or disconnect. */
export function sweepStaleQos2(client: MqttClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let completed = 0;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      client.removeListener('packetreceive', onPacket);
      client.removeListener('close', onClose);
      resolve(ok);
    };
    const onPacket = (packet: Packet) => {
      if (packet.cmd === 'pubcomp' && ++completed === MAX_PACKET_ID) finish(true);
    };
    const onClose = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    client.on('packetreceive', onPacket);
    client.on('close', onClose);
    client.stream.write(allPubrels());
  });
}
