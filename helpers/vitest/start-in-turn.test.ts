import { describe, expect, test } from 'vitest';
import { startInTurn } from './start-in-turn.js';

/** A start that settles only when the test says so, recording when it began. */
function controlledStarts() {
  const began: string[] = [];
  const settle = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const start = (item: string) =>
    new Promise<string>((resolve, reject) => {
      began.push(item);
      settle.set(item, { resolve, reject });
    });
  return { began, settle, start };
}
const flush = () => new Promise((resolve) => setImmediate(resolve));
const notStarted = (item: string) => new Error(`${item} not started`);

describe('startInTurn', () => {
  test('starts each item only after the one before it settled, a failure included', async () => {
    const { began, settle, start } = controlledStarts();
    const started = startInTurn(['a', 'b', 'c'], start, () => false, notStarted);
    for (const p of started) p.catch(() => undefined);
    await flush();
    expect(began).toEqual(['a']);
    settle.get('a')?.reject(new Error('a failed'));
    await flush();
    expect(began).toEqual(['a', 'b']);
    settle.get('b')?.resolve('B');
    await flush();
    expect(began).toEqual(['a', 'b', 'c']);
    settle.get('c')?.resolve('C');
    await expect(started[0]).rejects.toThrow('a failed');
    await expect(started[1]).resolves.toBe('B');
    await expect(started[2]).resolves.toBe('C');
  });

  test('once ended, the items still waiting reject without starting', async () => {
    const { began, settle, start } = controlledStarts();
    let ended = false;
    const started = startInTurn(['a', 'b', 'c'], start, () => ended, notStarted);
    for (const p of started) p.catch(() => undefined);
    await flush();
    ended = true;
    settle.get('a')?.resolve('A');
    await expect(started[0]).resolves.toBe('A');
    await expect(started[1]).rejects.toThrow('b not started');
    await expect(started[2]).rejects.toThrow('c not started');
    expect(began).toEqual(['a']);
  });
});
