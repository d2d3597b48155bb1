import type { Settings } from '../config/settings.js';
import type { RuntimeKind } from '../testbed/types.js';
import { imageAvailability, probeDocker, type DockerProbe } from './container/docker.js';
import { findMosquittoBinary } from '../targets/mosquitto/mosquitto-process.js';

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

export async function selectRuntime(settings: Settings): Promise<RuntimeSelection> {
  const needsDocker = settings.runtime === 'auto' || settings.runtime === 'container';
  const docker: DockerProbe = needsDocker
    ? await probeDocker()
    : { ok: false, reason: `not probed (MQTT_TESTBENCH_RUNTIME=${settings.runtime})` };
  const mosquitto = findMosquittoBinary(settings.mosquittoBin);

  switch (settings.runtime) {
    case 'container':
      if (!docker.ok) throw new RuntimeUnavailableError(`MQTT_TESTBENCH_RUNTIME=container, but ${docker.reason}`);
      return {
        kind: 'container',
        reason: `MQTT_TESTBENCH_RUNTIME=container; Docker ${docker.serverVersion} answered at ${docker.host}.`,
        docker,
      };
    case 'process':
      if (!mosquitto)
        throw new RuntimeUnavailableError(
          'MQTT_TESTBENCH_RUNTIME=process, but no mosquitto binary was found on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN.',
        );
      return { kind: 'process', reason: `MQTT_TESTBENCH_RUNTIME=process; mosquitto binary at ${mosquitto}.`, docker };
    case 'embedded':
      return {
        kind: 'embedded',
        reason: 'MQTT_TESTBENCH_RUNTIME=embedded; brokers run inside the test process (aedes).',
        docker,
      };
    case 'auto': {
      if (docker.ok) {
        // Docker without the broker image (no registry, offline images not built) would skip every
        // Mosquitto target: auto then takes the next runtime that can really run them.
        const wantsMosquitto =
          !settings.targets || settings.targets.some((t) => t === 'mosquitto' || t === 'mosquitto-secure');
        const image = wantsMosquitto
          ? await imageAvailability(settings.mosquittoImage, 'MQTT_TESTBENCH_MOSQUITTO_IMAGE')
          : { ok: true as const };
        if (image.ok)
          return {
            kind: 'container',
            reason: `auto: Docker ${docker.serverVersion} answered at ${docker.host}.`,
            docker,
          };
        const noImage = `auto: Docker ${docker.serverVersion} answered, but ${image.reason.split('. Set ')[0]}`;
        const toUseContainers =
          'Set MQTT_TESTBENCH_MOSQUITTO_IMAGE (e.g. to an image from `bash helpers/images/build-offline-images.sh`) to use containers.';
        if (mosquitto)
          return {
            kind: 'process',
            reason: `${noImage}; mosquitto binary found at ${mosquitto}. ${toUseContainers}`,
            docker,
          };
        return {
          kind: 'embedded',
          reason: `${noImage}, and no mosquitto binary was found; brokers run inside the test process (aedes). ${toUseContainers}`,
          docker,
        };
      }
      if (mosquitto)
        return {
          kind: 'process',
          reason: `auto: ${docker.reason.split(' (')[0]}; mosquitto binary found at ${mosquitto}.`,
          docker,
        };
      return {
        kind: 'embedded',
        reason: `auto: ${docker.reason.split(' (')[0]} and no mosquitto binary was found; brokers run inside the test process (aedes).`,
        docker,
      };
    }
  }
}
