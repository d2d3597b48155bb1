import { describe, expect, it } from 'vitest';
import { planSubscriptions } from '../../src/topics/subscriptions.js';

describe('subscription planning', () => {
  it('keeps disjoint filters', () => {
    expect(
      planSubscriptions([
        { filter: 'a/#', qos: 2 },
        { filter: 'b/#', qos: 1 },
      ]).map((s) => [s.filter, s.qos]),
    ).toEqual([
      ['a/#', 2],
      ['b/#', 1],
    ]);
  });

  it('drops a filter covered by another, keeping the higher QoS', () => {
    const plan = planSubscriptions([
      { filter: 'a/b/+', qos: 2 },
      { filter: 'a/#', qos: 0 },
    ]);
    expect(plan).toEqual([{ filter: 'a/#', qos: 2, merged: ['a/b/+', 'a/#'] }]);
  });

  it('merges overlapping filters into one that covers both, so the broker sends one copy', () => {
    const plan = planSubscriptions([
      { filter: 'a/+/c', qos: 1 },
      { filter: 'a/b/+', qos: 1 },
    ]);
    expect(plan.map((s) => s.filter)).toEqual(['a/+/+']);
  });

  it('merges transitively', () => {
    const plan = planSubscriptions([
      { filter: 'a/+/c', qos: 0 },
      { filter: 'x/y', qos: 0 },
      { filter: 'a/b/+', qos: 0 },
      { filter: 'a/+/+/#', qos: 0 },
    ]);
    expect(plan.map((s) => s.filter).sort()).toEqual(['a/+/+/#', 'x/y']);
  });

  it('merges duplicates', () => {
    expect(
      planSubscriptions([
        { filter: 'a', qos: 0 },
        { filter: 'a', qos: 1 },
      ]),
    ).toEqual([{ filter: 'a', qos: 1, merged: ['a'] }]);
  });
});
