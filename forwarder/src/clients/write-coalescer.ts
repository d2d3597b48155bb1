// mqtt-packet corks the socket per packet and uncorks on the next tick, and
// mqtt.js handles one incoming packet per tick, so every forwarded PUBLISH and
// every PUBACK became its own writev() and, with TCP_NODELAY, its own TCP
// segment (the profile showed ~45% of the forwarder's busy time in writev).
// Holding one extra cork until setImmediate coalesces everything written while
// the current socket read is processed into one write; it adds no timer delay.

import type { MqttClient } from 'mqtt';

interface Corkable {
  cork(): void;
  uncork(): void;
}

export function coalesceWrites(client: MqttClient): () => void {
  let corked: Corkable | null = null;
  const flush = () => {
    const stream = corked;
    corked = null;
    stream?.uncork();
  };
  return () => {
    if (corked !== null) return;
    const stream = client.stream as unknown as Corkable | undefined;
    if (!stream || typeof stream.cork !== 'function') return;
    stream.cork();
    corked = stream;
    setImmediate(flush);
  };
}
