import type { ForwardRule, RouteKind } from '../model/index.js';
import { runContext, uniqueName } from '../runtime/run-context.js';

/**
 * Every topic a run uses lives under `mtb/<runId>/<namespace>/`, so concurrent runs and tests never
 * see each other's messages (and no test subscribes to `#`, which EMQX's default ACL refuses).
 */
export function runTopicRoot(): string {
  return `mtb/${runContext().runId}`;
}

/** A fresh topic namespace for one test, e.g. `mtb/<run>/retain-3-ab12`. */
export function testTopicPrefix(label: string): string {
  return `${runTopicRoot()}/${uniqueName(label.replace(/[^a-zA-Z0-9_-]+/g, '-'))}`;
}

/** Where messages enter and leave one forwarding route of a topology. */
export interface Route {
  kind: RouteKind;
  rule: ForwardRule;
  /** A topic namespace under this route, unique per call: publish on `publish(x)`, expect on `expect(x)`. */
  namespace(label: string): RouteNamespace;
}

export interface RouteNamespace {
  /** Topic to publish on the downstream broker. */
  publish(sub: string): string;
  /** Topic the message is expected on at the upstream broker. */
  expect(sub: string): string;
  /** Filter on the upstream broker that matches every message of this namespace. */
  expectFilter: string;
  /** Filter on the downstream broker that matches every message of this namespace. */
  publishFilter: string;
}

export function routesFor(bedPrefix: string, kinds: readonly RouteKind[]): Route[] {
  return kinds.map((kind) =>
    routeFromRule({
      route: kind,
      sourceFilter: `${bedPrefix}/down/${kind}/#`,
      targetPattern: `${bedPrefix}/up/${kind}/#`,
    }),
  );
}

/** The route a forwarding rule of routesFor makes (e.g. rebuilt in a test worker from a shared topology's rules). */
export function routeFromRule(rule: ForwardRule): Route {
  const down = rule.sourceFilter.replace(/\/#$/, '');
  const up = rule.targetPattern.replace(/\/#$/, '');
  return {
    kind: rule.route,
    rule,
    namespace(label: string): RouteNamespace {
      const ns = uniqueName(label.replace(/[^a-zA-Z0-9_-]+/g, '-'));
      return {
        publish: (sub) => `${down}/${ns}/${sub}`,
        expect: (sub) => `${up}/${ns}/${sub}`,
        expectFilter: `${up}/${ns}/#`,
        publishFilter: `${down}/${ns}/#`,
      };
    },
  };
}
