import type { TargetName } from '../targets/catalog.js';
import type { ForwarderDeclaration, ProtocolVersion, Qos } from '../model/index.js';
import { declarationBetween, describeQosPolicy, expectedForwardedQos } from '../forwarders/forwarder.js';
import { forwarderFromSpec } from '../forwarders/registry.js';
import type { RunPlan, TopologyPlan } from '../testbed/run-plan.js';
import { runSettings } from './provided-plan.js';

/** Both protocol levels every conformance suite covers. */
export const PROTOCOL_VERSIONS: readonly ProtocolVersion[] = [4, 5];
export const QOS_LEVELS: readonly Qos[] = [0, 1, 2];

/** Why the MQTT 5 cases cannot run against these targets (undefined when they can). */
export function mqtt5SkipReason(plan: RunPlan, targets: readonly TargetName[]): string | undefined {
  const lacking = plan.targets.filter((t) => targets.includes(t.name) && !t.behaviour.mqtt5.value);
  if (lacking.length === 0) return undefined;
  return lacking.map((t) => `${t.name} does not support MQTT 5 (${t.behaviour.mqtt5.says})`).join('; ');
}

/** Why a QoS 2 PUBLISH to this target cannot be tested (undefined when it can): its declared deviation. */
export function qos2PublishSkipReason(plan: RunPlan, target: TargetName, who = 'the test'): string | undefined {
  const behaviour = plan.targets.find((t) => t.name === target)?.behaviour;
  if (!behaviour || behaviour.qos2Publish.value) return undefined;
  return `${target} declares a deviation: ${behaviour.qos2Publish.says} Here ${who} would publish to it at QoS 2`;
}

/**
 * Why a stream at `qos` cannot run through a topology (undefined when it can): a QoS 2 PUBLISH that
 * a broker on its path declares unsupported, by the publisher to the downstream broker or by the
 * forwarder (what its QoS policy makes of what it received) to the upstream one.
 */
export function qos2PathSkipReason(plan: RunPlan, topology: TopologyPlan, qos: Qos): string | undefined {
  const downstream = qos === 2 ? qos2PublishSkipReason(plan, topology.downstream, 'the publisher') : undefined;
  if (downstream) return downstream;
  const { name, declaration } = declarationOf(plan, topology);
  const forwarded = expectedForwardedQos(declaration, Math.min(qos, maxGrantedQos(plan, topology.downstream)) as Qos);
  return forwarded === 2
    ? qos2PublishSkipReason(plan, topology.upstream, `${name} (${describeQosPolicy(declaration)})`)
    : undefined;
}

/** The highest QoS a target declares it grants (2 when it runs no table, e.g. a target not in the plan). */
export function maxGrantedQos(plan: RunPlan, target: TargetName): Qos {
  return plan.targets.find((t) => t.name === target)?.behaviour.maxQos.value ?? 2;
}

/**
 * What a topology's forwarder promises between that topology's brokers (known before the topology
 * starts, so test names can cite it): its declaration, or the one for these peers when it depends
 * on them (e.g. the Mosquitto bridge keeps retain flags only from a Mosquitto downstream broker).
 */
export function declarationOf(
  plan: RunPlan,
  topology: TopologyPlan,
): { name: string; declaration: ForwarderDeclaration } {
  const forwarder = plan.forwarders.find((f) => f.spec === topology.forwarder);
  if (!forwarder)
    throw new Error(`topology ${topology.id} names forwarder "${topology.forwarder}", which is not in the run plan.`);
  const definition = forwarderFromSpec(topology.forwarder, runSettings());
  return {
    name: forwarder.name,
    declaration: declarationBetween(definition, {
      downstream: topology.downstream,
      upstream: topology.upstream,
      mqtt5: speaksMqtt5(plan, topology.downstream) && speaksMqtt5(plan, topology.upstream),
    }),
  };
}

/** What a delivered QoS promises [MQTT-4.3]: the words used in test names and messages. */
export function guaranteeOf(qos: Qos): string {
  if (qos === 2) return 'exactly once';
  if (qos === 1) return 'at least once, duplicates counted';
  return 'at most once, loss counted';
}

function speaksMqtt5(plan: RunPlan, target: string): boolean {
  return plan.targets.find((t) => t.name === target)?.behaviour.mqtt5.value ?? false;
}
