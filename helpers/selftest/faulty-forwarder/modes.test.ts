import { describe, expect, test } from 'vitest';
import { describeMode, Misbehaviour, type IncomingMessage } from './modes.js';
import { mapTopic } from './topic-map.js';

const live = (over: Partial<IncomingMessage> = {}): IncomingMessage => ({
  topic: 'a/b',
  qos: 1,
  retain: false,
  dup: false,
  payloadBytes: 10,
  ...over,
});

describe('faulty forwarder modes', () => {
  test('none forwards every message as it came', () => {
    const m = new Misbehaviour({ mode: 'none' });
    for (const message of [live(), live({ qos: 2, retain: true }), live({ qos: 0, retain: true, payloadBytes: 0 })])
      expect(m.decide(message)).toEqual({
        forward: true,
        qos: message.qos,
        retain: message.retain,
        copies: 1,
        hold: false,
      });
  });

  test('drop, duplicate and reorder hit every nth message of each topic, counted per topic', () => {
    const drop = new Misbehaviour({ mode: 'drop', every: 3 });
    const hits = (topic: string) =>
      Array.from({ length: 9 }, () => drop.decide(live({ topic })).forward === false).filter(Boolean).length;
    expect(hits('x')).toBe(3);
    expect(hits('y')).toBe(3);
    const duplicate = new Misbehaviour({ mode: 'duplicate', every: 2 });
    expect([1, 2, 3, 4].map(() => duplicate.decide(live())).map((d) => d.forward && d.copies)).toEqual([1, 2, 1, 2]);
    const reorder = new Misbehaviour({ mode: 'reorder', every: 2 });
    expect([1, 2].map(() => reorder.decide(live())).map((d) => d.forward && d.hold)).toEqual([false, true]);
  });

  test('restart-loss loses the first n new QoS 1/2 messages after the session was resumed, and nothing before', () => {
    const m = new Misbehaviour({ mode: 'restart-loss', every: 2 });
    expect(m.decide(live()).forward).toBe(true);
    m.sessionResumed();
    expect(m.decide(live({ qos: 0 })).forward).toBe(true);
    expect(m.decide(live({ dup: true })).forward).toBe(true); // sent to the killed process before: not counted
    expect([1, 2, 3].map(() => m.decide(live()).forward)).toEqual([false, false, true]);
  });

  test('retained modes: drop, strip the flag, ignore deletes', () => {
    const retained = live({ retain: true });
    const deletion = live({ retain: true, payloadBytes: 0 });
    const drop = new Misbehaviour({ mode: 'drop-retained' });
    expect([drop.decide(retained).forward, drop.decide(deletion).forward, drop.decide(live()).forward]).toEqual([
      false,
      false,
      true,
    ]);
    const strip = new Misbehaviour({ mode: 'strip-retain' });
    expect(strip.decide(retained)).toMatchObject({ forward: true, retain: false, hit: 'retainStripped' });
    expect(strip.decide(deletion)).toMatchObject({ forward: true, retain: false });
    const ignore = new Misbehaviour({ mode: 'ignore-retained-deletes' });
    expect([ignore.decide(retained).forward, ignore.decide(deletion).forward]).toEqual([true, false]);
  });

  test('QoS modes change the forwarded QoS', () => {
    const down = new Misbehaviour({ mode: 'downgrade-qos' });
    expect([0, 1, 2].map((qos) => down.decide(live({ qos: qos as 0 | 1 | 2 }))).map((d) => d.forward && d.qos)).toEqual(
      [0, 0, 0],
    );
    const up = new Misbehaviour({ mode: 'upgrade-qos' });
    expect([0, 1, 2].map((qos) => up.decide(live({ qos: qos as 0 | 1 | 2 }))).map((d) => d.forward && d.qos)).toEqual([
      2, 2, 2,
    ]);
  });

  test('describeMode names the rate', () => {
    expect(describeMode({ mode: 'drop' })).toBe(
      'drop: every 50th message on a topic is acknowledged and never forwarded',
    );
    expect(describeMode({ mode: 'restart-loss', every: 5 })).toMatch(/the first 5 new QoS 1\/2 messages/);
    expect(() => new Misbehaviour({ mode: 'drop', every: 0 })).toThrow(/--every must be a whole number >= 1, got 0/);
  });
});

describe('faulty forwarder topic mapping', () => {
  test('wildcards of the target take what the source matched', () => {
    expect(mapTopic('m/down/pass/#', 'm/up/pass/#', 'm/down/pass/ns/p0')).toBe('m/up/pass/ns/p0');
    expect(mapTopic('a/+/c/#', 'b/+/#', 'a/x/c/y/z')).toBe('b/x/y/z');
    expect(mapTopic('a/#', 'b/#', 'a')).toBe('b');
    expect(mapTopic('a/+', 'b/+', 'a/x/y')).toBeUndefined();
    expect(mapTopic('a/b/#', 'c/#', 'a/c/d')).toBeUndefined();
  });
});
