/**
 * Source filter -> target pattern, as the original forwarder's rules map topics: the target's `+`
 * levels take, in order, the topic levels the source's `+` matched, and its `#` takes what the
 * source's `#` matched (`a/+/#` -> `b/+/#` maps `a/x/y/z` to `b/x/y/z`).
 */
export function mapTopic(sourceFilter: string, targetPattern: string, topic: string): string | undefined {
  const filter = sourceFilter.split('/');
  const levels = topic.split('/');
  const plus: string[] = [];
  let rest: string[] | undefined;
  for (const [i, part] of filter.entries()) {
    if (part === '#') {
      rest = levels.slice(i);
      break;
    }
    const level = levels[i];
    if (level === undefined) return undefined;
    if (part === '+') plus.push(level);
    else if (part !== level) return undefined;
  }
  if (rest === undefined && levels.length !== filter.length) return undefined;
  const mapped: string[] = [];
  let nextPlus = 0;
  for (const part of targetPattern.split('/')) {
    if (part === '+') mapped.push(plus[nextPlus++] ?? '');
    else if (part === '#') mapped.push(...(rest ?? []));
    else mapped.push(part);
  }
  return mapped.join('/');
}
