/**
 * Clock skew between shards, measured through the broker as NTP does: a shard sends its time t0,
 * shard 1 answers with its time t1, the answer arrives at t2. If the two legs take equally long,
 * shard 1 read t1 at (t0 + t2) / 2 on this shard's clock, so the offset (this clock minus shard
 * 1's) is (t0 + t2) / 2 − t1, wrong by at most half the round trip. The round trip with the
 * smallest delay of a few is kept: its estimate has the smallest error bound.
 */
import { nowUs } from '../clock.js';
import type { ControlChannel, ControlMessage } from './control-channel.js';
import type { ClockOffset } from './types.js';

export const SKEW_ROUNDS = 5;
const ROUND_TIMEOUT_MS = 1_000;
const REFERENCE_SHARD = 1;

/** Shard 1 answers every ping with its own clock; returns the function that stops answering. */
export function answerPings(channel: ControlChannel): () => void {
  return channel.onMessage((message) => {
    if (message.kind !== 'ping' || message.from === channel.shard) return;
    channel.send({ kind: 'pong', to: message.from, seq: message.seq, t0: message.t0, t1: nowUs() });
  });
}

/** This shard's clock minus shard 1's, or null when no pong came back. */
export async function measureOffset(
  channel: ControlChannel,
  rounds: number = SKEW_ROUNDS,
): Promise<ClockOffset | null> {
  let best: ClockOffset | null = null;
  let samples = 0;
  for (let seq = 1; seq <= rounds; seq++) {
    const t0 = nowUs();
    const pong = await waitForPong(channel, seq, t0);
    if (!pong || typeof pong.t1 !== 'number') continue;
    const t2 = nowUs();
    samples++;
    const rttUs = t2 - t0;
    if (!best || rttUs < best.rttUs) best = { offsetUs: Math.round((t0 + t2) / 2 - pong.t1), rttUs, samples: 0 };
  }
  return best ? { ...best, samples } : null;
}

function waitForPong(channel: ControlChannel, seq: number, t0: number): Promise<ControlMessage | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(null);
    }, ROUND_TIMEOUT_MS);
    const unsubscribe = channel.onMessage((message) => {
      if (message.kind !== 'pong' || message.to !== channel.shard || message.seq !== seq || message.t0 !== t0) return;
      if (message.from !== REFERENCE_SHARD) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(message);
    });
    channel.send({ kind: 'ping', seq, t0 });
  });
}
