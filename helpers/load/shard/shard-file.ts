/**
 * How shard results travel to the merge: as a JSON file (`--out`), or printed to the log between
 * marker lines (`--log-result`: gzip + base64, 76 characters a line) so that `kubectl logs` carries
 * them off a cluster without a shared volume. A shard that fails writes a failure document instead
 * of a result, so the merge can say why it is missing. Reading accepts both forms, and a log with
 * several shards' blocks one after the other.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LoadResult } from '../types.js';
import type { ShardId } from './shard-plan.js';

export const SHARD_FAILURE_KIND = 'mqtt-testbench-shard-failure';
const BEGIN = '=== mqtt-testbench shard result begin';
const END = '=== mqtt-testbench shard result end';
const LINE_CHARS = 76;

/** What a shard writes instead of a result when its run failed (connect refused, barrier timeout, interrupted ...). */
export interface ShardFailure {
  kind: typeof SHARD_FAILURE_KIND;
  shard: ShardId & { runId: string };
  error: string;
  at: string;
}

export type ShardDocument = { type: 'result'; result: LoadResult } | { type: 'failure'; failure: ShardFailure };

export interface ShardInput {
  file: string;
  document: ShardDocument;
}

export class ShardFileError extends Error {
  override name = 'ShardFileError';
}

export function shardFailure(shard: ShardId & { runId: string }, error: string): ShardFailure {
  return { kind: SHARD_FAILURE_KIND, shard, error, at: new Date().toISOString() };
}

/** The log form: marker lines around the gzip + base64 of the JSON. */
export function encodeForLog(document: LoadResult | ShardFailure, shard: ShardId): string {
  const data = gzipSync(JSON.stringify(document)).toString('base64');
  const lines = [`${BEGIN} ${shard.index}/${shard.count} (gzip+base64) ===`];
  for (let i = 0; i < data.length; i += LINE_CHARS) lines.push(data.slice(i, i + LINE_CHARS));
  lines.push(`${END} ${shard.index}/${shard.count} ===`);
  return lines.join('\n');
}

/**
 * Reads a merge input: a shard's JSON result or failure, or a log holding marker blocks (a log
 * without any gives none: its shard failed before writing one). Returns null for JSON that is no
 * shard's (e.g. a report.json, which the report merge reads).
 */
export function readShardInputs(path: string, file: string = path): ShardInput[] | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ShardFileError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (text.includes(BEGIN)) return decodeLog(text, file).map((document) => ({ file, document }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const document = classify(parsed);
  return document ? [{ file, document }] : null;
}

function decodeLog(text: string, file: string): ShardDocument[] {
  const documents: ShardDocument[] = [];
  let block: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.includes(BEGIN)) {
      block = [];
      continue;
    }
    if (line.includes(END)) {
      if (!block) throw new ShardFileError(`${file}: a result end marker without its begin marker`);
      documents.push(decodeBlock(block.join(''), file));
      block = undefined;
      continue;
    }
    // `kubectl logs --prefix` puts "[pod/...] " before each line: base64 is the last word.
    if (block) block.push(line.trim().split(/\s+/).at(-1) ?? '');
  }
  if (block) throw new ShardFileError(`${file}: a shard result begins but never ends (the log was cut off)`);
  return documents;
}

function decodeBlock(data: string, file: string): ShardDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8'));
  } catch (error) {
    throw new ShardFileError(`${file}: a shard result in the log does not decode (${(error as Error).message})`);
  }
  const document = classify(parsed);
  if (!document) throw new ShardFileError(`${file}: the log holds a block that is not a shard result`);
  return document;
}

function classify(value: unknown): ShardDocument | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record['kind'] === SHARD_FAILURE_KIND) return { type: 'failure', failure: value as ShardFailure };
  if (typeof record['runTag'] === 'string' && typeof record['workload'] === 'object' && 'counters' in record)
    return { type: 'result', result: value as LoadResult };
  return null;
}
