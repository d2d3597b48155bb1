import type { Availability, RuntimeKind, Settings } from '../model/index.js';
import { TARGETS, type TargetName } from '../targets/registry.js';
import type { Target } from '../targets/target.js';
import { probeDocker, type DockerProbe } from '../runtime/container/docker.js';

export interface RuntimeSelection {
  kind: Exclude<RuntimeKind, 'external'>;
  /** One sentence: why this runtime, printed at the start of the run and kept in the report. */
  reason: string;
  docker: DockerProbe;
}

/** Thrown when the runtime asked for explicitly cannot work here: the run stops before anything starts. */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

/** A target that runs in `runtime`, and whether it can run there on this machine. */
interface Candidate {
  name: TargetName;
  availability: Availability;
}

/**
 * Decides the runtime of the run from the targets it wants (MQTT_TESTBENCH_TARGETS, else every
 * target of the registry): `auto` takes containers when Docker answers and one of them can run in
 * a container here (its image is present or pullable), else local processes when one of them can
 * run as a process here (its binary is installed), else the embedded broker.
 */
export async function selectRuntime(settings: Settings): Promise<RuntimeSelection> {
  const wanted = TARGETS.filter((t) => !settings.targets || settings.targets.includes(t.name));
  const needsDocker = settings.runtime === 'auto' || settings.runtime === 'container';
  const docker: DockerProbe = needsDocker
    ? await probeDocker()
    : { ok: false, reason: `not probed (MQTT_TESTBENCH_RUNTIME=${settings.runtime})` };

  switch (settings.runtime) {
    case 'container':
      if (!docker.ok) throw new RuntimeUnavailableError(`MQTT_TESTBENCH_RUNTIME=container, but ${docker.reason}`);
      return {
        kind: 'container',
        reason: `MQTT_TESTBENCH_RUNTIME=container; Docker ${docker.serverVersion} answered at ${docker.host}.`,
        docker,
      };
    case 'process': {
      const processes = await candidates(wanted, 'process', settings);
      const runnable = processes.filter((c) => c.availability.ok);
      // A run of only embedded or external targets has nothing to check: its forwarders run as processes.
      if (processes.length > 0 && runnable.length === 0)
        throw new RuntimeUnavailableError(
          `MQTT_TESTBENCH_RUNTIME=process, but no selected target can run as a local process here: ${describe(processes)}`,
        );
      return {
        kind: 'process',
        reason: `MQTT_TESTBENCH_RUNTIME=process; ${runnable.length > 0 ? describe(runnable) : 'no target of this run needs a binary'}.`,
        docker,
      };
    }
    case 'embedded':
      return {
        kind: 'embedded',
        reason: 'MQTT_TESTBENCH_RUNTIME=embedded; brokers run inside the test process (aedes).',
        docker,
      };
    case 'auto': {
      let noContainers = `auto: ${docker.ok ? '' : docker.reason.split(' (')[0]}`;
      if (docker.ok) {
        const containers = await candidates(wanted, 'container', settings);
        if (containers.length === 0 || containers.some((c) => c.availability.ok))
          return {
            kind: 'container',
            reason: `auto: Docker ${docker.serverVersion} answered at ${docker.host}.`,
            docker,
          };
        // Docker without any broker image (no registry, offline images not built) would skip every
        // target: auto then takes the next runtime that can really run them.
        noContainers = `auto: Docker ${docker.serverVersion} answered, but no selected target's image is here (${describe(containers)})`;
      }
      const toUseContainers = docker.ok
        ? ' Set the image variables (e.g. to images from `bash helpers/images/build-offline-images.sh`) to use containers.'
        : '';
      const processes = (await candidates(wanted, 'process', settings)).filter((c) => c.availability.ok);
      if (processes.length > 0)
        return { kind: 'process', reason: `${noContainers}; ${describe(processes)}.${toUseContainers}`, docker };
      return {
        kind: 'embedded',
        reason: `${noContainers}, and no selected target can run as a local process; brokers run inside the test process (aedes).${toUseContainers}`,
        docker,
      };
    }
  }
}

async function candidates(
  wanted: readonly Target<TargetName>[],
  runtime: RuntimeKind,
  settings: Settings,
): Promise<Candidate[]> {
  return Promise.all(
    wanted
      .filter((t) => t.runtimes.includes(runtime))
      .map(async (t) => ({ name: t.name, availability: await t.availability(runtime, settings) })),
  );
}

/** `mosquitto: /usr/sbin/mosquitto; rabbitmq: no rabbitmq-server binary ...` */
function describe(list: readonly Candidate[]): string {
  return list
    .map((c) => `${c.name}: ${c.availability.ok ? (c.availability.detail ?? 'can run') : c.availability.reason}`)
    .join('; ');
}
