import { describe, expect, it } from 'vitest';
import { forwardedQos, forwardedRetain } from '../../src/forward/policy.js';

describe('QoS policy', () => {
  it('preserves the received QoS by default, or forces a fixed one', () => {
    expect([0, 1, 2].map((q) => forwardedQos('preserve', q as 0 | 1 | 2))).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((q) => forwardedQos(1, q as 0 | 1 | 2))).toEqual([1, 1, 1]);
  });
});

describe('retain handling', () => {
  const msg = (retain: boolean, emptyPayload: boolean, protocolVersion: 4 | 5) => ({
    retain,
    emptyPayload,
    protocolVersion,
  });

  it('preserve: keeps the flag; on 3.1.1 an empty payload becomes a retained delete', () => {
    expect(forwardedRetain('preserve', msg(true, false, 5))).toBe(true);
    expect(forwardedRetain('preserve', msg(false, false, 5))).toBe(false);
    expect(forwardedRetain('preserve', msg(false, true, 5))).toBe(false);
    expect(forwardedRetain('preserve', msg(false, true, 4))).toBe(true);
    expect(forwardedRetain('preserve', msg(true, true, 4))).toBe(true);
  });

  it('strip: never retained', () => {
    expect(forwardedRetain('strip', msg(true, false, 5))).toBe(false);
    expect(forwardedRetain('strip', msg(false, true, 4))).toBe(false);
  });

  it('drop: skips retained messages, forwards the rest unretained', () => {
    expect(forwardedRetain('drop', msg(true, false, 5))).toBeNull();
    expect(forwardedRetain('drop', msg(false, false, 4))).toBe(false);
  });
});
