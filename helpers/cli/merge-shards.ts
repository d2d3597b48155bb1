/**
 * `mqtt-testbench merge --mode workers OUT SHARD...`: the shards of a sharded `load` run (their
 * --out files, or logs with their --log-result blocks) merged into one result. Exit 1 when a
 * shard is missing or failed (the run is incomplete), 2 when the inputs do not belong together.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { mergeShardResults } from '../load/shard/merge-shards.js';
import type { ShardInput } from '../load/shard/shard-file.js';
import type { LoadResult } from '../load/types.js';
import type { CliIo } from './command.js';
import { formatSummary, summarize } from './load-summary.js';
import { writeWhole } from './load-shard.js';

export function mergeShards(out: string, inputs: readonly { file: string; shards: ShardInput[] }[], io: CliIo): number {
  for (const input of inputs)
    if (input.shards.length === 0)
      io.err(`mqtt-testbench merge: ${input.file} holds no shard result (did its shard fail before it wrote one?)`);
  const merged = mergeShardResults(inputs.flatMap((input) => input.shards));
  const target = resolve(io.cwd, out);
  mkdirSync(dirname(target), { recursive: true });
  writeWhole(target, `${JSON.stringify(merged, null, 2)}\n`);
  io.out(`Merged ${merged.shards?.merged.length ?? 0} shards of run ${merged.shards?.runId ?? '?'} into ${target}:`);
  io.out(
    formatSummary(summarize({ result: merged, cpu: null, verdict: { kind: 'not gated' }, gateSources: [], hints: [] })),
  );
  io.out(shardsLine(merged));
  return 0;
}

function shardsLine(result: LoadResult): string {
  const shards = result.shards;
  if (!shards) return '';
  const skew = shards.clockSkew;
  const lines = [
    `  shards    ${shards.merged.length}/${shards.count} merged, none missing · saturated: ${shards.saturated.length > 0 ? shards.saturated.join(', ') : 'none'} · start ${shards.start.startAt} (${shards.start.startMode}), latest shard ${shards.start.maxLateMs} ms late · clock skew ${skew.spreadUs === null ? 'not measured' : `${(skew.spreadUs / 1000).toFixed(2)} ms between shards (±${((skew.uncertaintyUs ?? 0) / 1000).toFixed(2)} ms)`}`,
  ];
  for (const warning of shards.warnings) lines.push(`  shard ${warning.shard}: ${warning.message}`);
  return lines.join('\n');
}
