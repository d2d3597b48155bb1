// Which rules a message from one source client matches, and where each sends
// it. Results are cached per topic (topics repeat), so the hot path does one
// Map lookup per message.

import type { CallbackName, PayloadTransform } from '../callbacks/index.js';
import { transformFor } from '../callbacks/index.js';
import type { QosPolicy, RetainHandling } from '../config/schema.js';
import { LEVEL_SEPARATOR, matchLevels } from './filter.js';
import { type TopicMapper, compileMapping } from './map.js';

/** Topics remembered per source client; the cache starts over when full. */
export const ROUTE_CACHE_SIZE = 10_000;

export interface RouterRule {
  name: string;
  sourceFilter: string;
  targetPattern: string;
  targetClient: string;
  callback: CallbackName | null;
  qosPolicy: QosPolicy;
  retainHandling: RetainHandling;
}

export interface Route {
  rule: RouterRule;
  /** null: the mapping left nothing (counted as unmappable_topic). */
  targetTopic: string | null;
  /** null: pass-through. */
  transform: PayloadTransform | null;
}

interface CompiledRule {
  rule: RouterRule;
  filterLevels: string[];
  mapper: TopicMapper;
}

export class Router {
  private readonly rules: CompiledRule[];
  private readonly cache = new Map<string, readonly Route[]>();
  private readonly cacheSize: number;

  constructor(rules: readonly RouterRule[], cacheSize = ROUTE_CACHE_SIZE) {
    this.rules = rules.map((rule) => ({
      rule,
      filterLevels: rule.sourceFilter.split(LEVEL_SEPARATOR),
      mapper: compileMapping(rule.sourceFilter, rule.targetPattern),
    }));
    this.cacheSize = cacheSize;
  }

  /** Names of the clients these rules publish to. */
  targetClients(): string[] {
    return this.rules.map((r) => r.rule.targetClient);
  }

  /** Every enabled rule whose source filter matches `topic`, in config order. */
  match(topic: string): readonly Route[] {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const levels = topic.split(LEVEL_SEPARATOR);
    const routes: Route[] = [];
    for (const { rule, filterLevels, mapper } of this.rules) {
      if (!matchLevels(filterLevels, levels)) continue;
      routes.push({
        rule,
        targetTopic: mapper(levels, topic),
        transform: rule.callback === null ? null : transformFor(rule.callback, topic),
      });
    }
    if (this.cache.size >= this.cacheSize) this.cache.clear();
    this.cache.set(topic, routes);
    return routes;
  }
}
