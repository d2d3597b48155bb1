import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/args.js';

describe('command line', () => {
  it.each([
    [[], { kind: 'run', config: undefined, validateOnly: false }],
    [['-c', 'a.json'], { kind: 'run', config: 'a.json', validateOnly: false }],
    [['--config', 'a.json', '--validate-only'], { kind: 'run', config: 'a.json', validateOnly: true }],
    [['--config=a.json'], { kind: 'run', config: 'a.json', validateOnly: false }],
    [['--validate-only', '-c=b.json'], { kind: 'run', config: 'b.json', validateOnly: true }],
    [['-h'], { kind: 'help' }],
    [['-c', 'x', '--help'], { kind: 'help' }],
    [['--version'], { kind: 'version' }],
  ])('%j', (argv, expected) => {
    expect(parseArgs(argv)).toEqual(expected);
  });

  it.each([[['-c']], [['--config=']], [['--frobnicate']], [['config.json']]])('rejects %j', (argv) => {
    expect(parseArgs(argv).kind).toBe('usage-error');
  });
});
