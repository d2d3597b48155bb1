// Turns the source filters of the enabled rules of one source client into the
// set of SUBSCRIBE filters. The planned filters never overlap, so the broker
// delivers each message at most once per connection even where it would send
// one copy per matching subscription (Mosquitto 2 does, for 3.1.1 clients);
// every rule whose own filter matches the topic then forwards it once.

import type { QoS } from '../qos.js';
import { covers, generalize, intersects } from './filter.js';

export interface SubscriptionRequest {
  filter: string;
  qos: QoS;
}

export interface PlannedSubscription {
  filter: string;
  qos: QoS;
  /** The requested filters this subscription carries (for the startup log). */
  merged: string[];
}

const maxQos = (a: QoS, b: QoS): QoS => (a > b ? a : b);

export function planSubscriptions(requests: readonly SubscriptionRequest[]): PlannedSubscription[] {
  const plan: PlannedSubscription[] = [];
  for (const request of requests) {
    let current: PlannedSubscription = { filter: request.filter, qos: request.qos, merged: [request.filter] };
    // Absorb every planned filter that overlaps the new one; repeat, because a
    // generalized filter may now overlap filters it did not overlap before.
    for (let changed = true; changed;) {
      changed = false;
      for (let i = 0; i < plan.length; i++) {
        const other = plan[i] as PlannedSubscription;
        if (!intersects(other.filter, current.filter)) continue;
        let filter: string;
        if (covers(other.filter, current.filter)) filter = other.filter;
        else if (covers(current.filter, other.filter)) filter = current.filter;
        else filter = generalize(other.filter, current.filter);
        current = {
          filter,
          qos: maxQos(other.qos, current.qos),
          merged: [...new Set([...other.merged, ...current.merged])],
        };
        plan.splice(i, 1);
        changed = true;
        break;
      }
    }
    plan.push(current);
  }
  return plan;
}
