// Mapping a topic matched by a rule's source filter onto the rule's target
// pattern. The i-th "+" of the target takes the level matched by the i-th "+"
// of the source; a trailing "#" takes every level matched by the source "#".
// Example: source "/ge/web/#", target "/up/ge/#": "/ge/web/a/b" -> "/up/ge/a/b".

import { LEVEL_SEPARATOR, MULTI_LEVEL_WILDCARD, SINGLE_LEVEL_WILDCARD, filterError, hasWildcard } from './filter.js';

/** Maps the levels of a topic matched by the source filter; null if the result would be empty. */
export type TopicMapper = (topicLevels: readonly string[], topic: string) => string | null;

interface Shape {
  plusPositions: number[];
  hashPosition: number | null;
}

function shapeOf(levels: readonly string[]): Shape {
  const plusPositions: number[] = [];
  let hashPosition: number | null = null;
  levels.forEach((level, i) => {
    if (level === SINGLE_LEVEL_WILDCARD) plusPositions.push(i);
    if (level === MULTI_LEVEL_WILDCARD) hashPosition = i;
  });
  return { plusPositions, hashPosition };
}

/**
 * Why the target pattern cannot take what the source filter matches, or null.
 * Allowed: a target without wildcards when the source has no "#" (many topics
 * into one), or a target whose "+"/"#" correspond one to one, in order, to the
 * source's.
 */
export function mappingError(sourceFilter: string, targetPattern: string): string | null {
  const syntax = filterError(targetPattern);
  if (syntax) return syntax;
  const source = shapeOf(sourceFilter.split(LEVEL_SEPARATOR));
  const target = shapeOf(targetPattern.split(LEVEL_SEPARATOR));
  if (source.hashPosition !== null && target.hashPosition === null) {
    return `the source filter "${sourceFilter}" ends in "#" (any number of levels) but the target has no "#" to carry them; end the target with "/#"`;
  }
  if (!hasWildcard(targetPattern)) return null;
  if (target.hashPosition !== null && source.hashPosition === null) {
    return `the target has "#" but the source filter "${sourceFilter}" has none; remove "#" from the target or add "/#" to the source`;
  }
  if (target.plusPositions.length !== source.plusPositions.length) {
    return `the target has ${target.plusPositions.length} "+" but the source filter "${sourceFilter}" has ${source.plusPositions.length}; each "+" in the target takes the level of the "+" at the same position in the source, so their counts must be equal`;
  }
  return null;
}

/** Builds the mapper for a valid (source, target) pair; see {@link mappingError}. */
export function compileMapping(sourceFilter: string, targetPattern: string): TopicMapper {
  if (sourceFilter === targetPattern) return (_levels, topic) => topic;
  const targetLevels = targetPattern.split(LEVEL_SEPARATOR);
  if (!hasWildcard(targetPattern)) return () => targetPattern;
  const source = shapeOf(sourceFilter.split(LEVEL_SEPARATOR));
  // Each target level: a literal string, or the index of the topic level to copy
  // (for "+"), or -1 for "#" (the tail from the source "#" position).
  const HASH = -1;
  let plusSeen = 0;
  const parts: Array<string | number> = targetLevels.map((level) => {
    if (level === SINGLE_LEVEL_WILDCARD) return source.plusPositions[plusSeen++] as number;
    if (level === MULTI_LEVEL_WILDCARD) return HASH;
    return level;
  });
  const hashFrom = source.hashPosition ?? 0;
  return (topicLevels) => {
    const out: string[] = [];
    for (const part of parts) {
      if (typeof part === 'string') out.push(part);
      else if (part === HASH) for (let i = hashFrom; i < topicLevels.length; i++) out.push(topicLevels[i] as string);
      else out.push(topicLevels[part] as string);
    }
    // "#" matched zero levels (e.g. "a/#" matched "a"): the target loses its "/#".
    const mapped = out.join(LEVEL_SEPARATOR);
    return mapped.length === 0 ? null : mapped;
  };
}
