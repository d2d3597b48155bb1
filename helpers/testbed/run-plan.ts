import { cpus, totalmem } from 'node:os';
import type { BrokerBehaviour, ForwarderDeclaration, ForwarderKind, RuntimeKind, Settings } from '../model/index.js';
import type { TargetName } from '../targets/catalog.js';
import { forwarderFromSpec } from '../forwarders/registry.js';
import { selectRuntime, type RuntimeSelection } from './select-runtime.js';
import { PAIRINGS, TARGETS, targetByName } from '../targets/registry.js';

/**
 * What this run will start, decided once in the global setup and handed to every test file:
 * the runtime and why, each target and forwarder with its status and (when skipped) the reason,
 * and the forwarding topologies. Plain data, so it can be provided to workers and written to reports.
 */
export interface RunPlan {
  runId: string;
  profile: Settings['profile'];
  strict: boolean;
  runtime: { kind: RuntimeKind; reason: string };
  docker: { ok: true; serverVersion: string; host: string } | { ok: false; reason: string };
  targets: TargetPlan[];
  forwarders: ForwarderPlan[];
  topologies: TopologyPlan[];
  machine: { node: string; platform: string; cpus: number; cpuModel: string; memoryMb: number };
}

export type PlanStatus = { status: 'ready'; detail?: string } | { status: 'skipped'; reason: string };

export type TargetPlan = {
  name: TargetName;
  runtime: RuntimeKind;
  behaviour: BrokerBehaviour;
} & PlanStatus;

export type ForwarderPlan = {
  /** As written in MQTT_TESTBENCH_FORWARDER, e.g. `reference` or `image:acme/fwd:1`. */
  spec: string;
  kind: ForwarderKind;
  name: string;
  declaration: ForwarderDeclaration;
} & PlanStatus;

export type TopologyPlan = {
  id: string;
  downstream: TargetName;
  upstream: TargetName;
  forwarder: string;
  runtime: RuntimeKind;
} & PlanStatus;

export async function buildRunPlan(settings: Settings, runId: string): Promise<RunPlan> {
  const selection = await selectRuntime(settings);
  const targets = await planTargets(settings, selection);
  // A forwarder runs in its topology's runtime, which is the downstream target's: for external
  // brokers that is a local process, whatever runtime the run picked (a run of only external targets
  // must not skip the reference forwarder because the Node image is missing).
  const runtimes = targets.length > 0 ? [...new Set(targets.map((t) => t.runtime))] : [selection.kind];
  const forwardersByRuntime = new Map<RuntimeKind, ForwarderPlan[]>();
  for (const runtime of runtimes) forwardersByRuntime.set(runtime, await planForwarders(settings, runtime));
  const forwarders =
    forwardersByRuntime.get(runtimes.includes(selection.kind) ? selection.kind : (runtimes[0] as RuntimeKind)) ?? [];
  return {
    runId,
    profile: settings.profile,
    strict: settings.strict,
    runtime: { kind: selection.kind, reason: selection.reason },
    docker: selection.docker.ok
      ? { ok: true, serverVersion: selection.docker.serverVersion, host: selection.docker.host }
      : { ok: false, reason: selection.docker.reason },
    targets,
    forwarders,
    topologies: planTopologies(targets, forwardersByRuntime, selection.kind, settings),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
    },
  };
}

/**
 * A target runs in the run's runtime when it supports it. A target whose runtime does not depend on
 * the run's (embedded in the test process, external by URL) runs there; by default a run includes
 * the targets of its runtime, plus those that say they belong in it (external, when its URL is set).
 */
async function planTargets(settings: Settings, selection: RuntimeSelection): Promise<TargetPlan[]> {
  const chosen = selection.kind;
  const names =
    settings.targets ??
    TARGETS.filter((t) => t.runtimes.includes(chosen) || t.selectedByDefault?.(settings)).map((t) => t.name);
  return Promise.all(
    names.map(async (name): Promise<TargetPlan> => {
      const target = targetByName(name);
      const own = target.runtimes.find((r) => r === 'embedded' || r === 'external');
      const runtime: RuntimeKind = target.runtimes.includes(chosen) ? chosen : (own ?? chosen);
      const base = { name: target.name, runtime, behaviour: target.behaviour(settings, runtime) };
      if (!target.runtimes.includes(runtime)) {
        return {
          ...base,
          status: 'skipped',
          reason: `${name} runs in the ${target.runtimes.join('/')} runtime, and this run uses ${chosen} (${selection.reason})`,
        };
      }
      const availability = await target.availability(runtime, settings);
      return availability.ok
        ? { ...base, status: 'ready', detail: availability.detail }
        : { ...base, status: 'skipped', reason: availability.reason };
    }),
  );
}

async function planForwarders(settings: Settings, runtime: RuntimeKind): Promise<ForwarderPlan[]> {
  return Promise.all(
    settings.forwarders.map(async (spec): Promise<ForwarderPlan> => {
      const definition = forwarderFromSpec(spec, settings);
      const base = { spec, kind: definition.kind, name: definition.name, declaration: definition.declaration };
      const availability = await definition.availability(runtime, settings);
      return availability.ok
        ? { ...base, status: 'ready', detail: availability.detail }
        : { ...base, status: 'skipped', reason: availability.reason };
    }),
  );
}

/**
 * Default topologies: each target forwards to itself, plus the mixed pairings the targets declare
 * (registry) when both of their targets are in the run; external uses its downstream/upstream URLs.
 * Every forwarder is tried in every topology.
 */
function planTopologies(
  targets: TargetPlan[],
  forwardersByRuntime: ReadonlyMap<RuntimeKind, ForwarderPlan[]>,
  runtime: RuntimeKind,
  settings: Settings,
): TopologyPlan[] {
  const ready = new Set(targets.filter((t) => t.status === 'ready').map((t) => t.name));
  const pairs: [TargetName, TargetName][] = [];
  for (const t of targets) pairs.push([t.name, t.name]);
  const inRun = (name: TargetName) => targets.some((t) => t.name === name);
  for (const [downstream, upstream] of PAIRINGS)
    if (inRun(downstream) && inRun(upstream)) pairs.push([downstream, upstream]);
  const plans: TopologyPlan[] = [];
  for (const [downstream, upstream] of pairs) {
    const topologyRuntime = targets.find((t) => t.name === downstream)?.runtime ?? runtime;
    for (const forwarder of forwardersByRuntime.get(topologyRuntime) ?? forwardersByRuntime.get(runtime) ?? []) {
      const id = `${downstream}>${upstream} via ${forwarder.name}`;
      const base = { id, downstream, upstream, forwarder: forwarder.spec, runtime: topologyRuntime };
      const missing = [downstream, upstream].filter((name) => !ready.has(name));
      if (missing.length > 0) {
        plans.push({
          ...base,
          status: 'skipped',
          reason: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} skipped in this run (see the target's reason)`,
        });
      } else if (
        (downstream === 'external' || upstream === 'external') &&
        !(settings.externalDownstreamUrl && settings.externalUpstreamUrl)
      ) {
        const unset = [
          settings.externalDownstreamUrl ? '' : 'MQTT_TESTBENCH_EXTERNAL_DOWNSTREAM_URL',
          settings.externalUpstreamUrl ? '' : 'MQTT_TESTBENCH_EXTERNAL_UPSTREAM_URL',
        ].filter(Boolean);
        plans.push({
          ...base,
          status: 'skipped',
          reason: `the external forwarding topology needs a downstream and an upstream broker URL: set ${unset.join(' and ')}`,
        });
      } else if (forwarder.status === 'skipped') {
        plans.push({
          ...base,
          status: 'skipped',
          reason: `forwarder ${forwarder.name} is skipped in this run: ${forwarder.reason}`,
        });
      } else {
        plans.push({ ...base, status: 'ready' });
      }
    }
  }
  return plans;
}
