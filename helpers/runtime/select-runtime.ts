import type { Settings } from '../config/settings.js';
import type { RuntimeKind } from '../testbed/types.js';
import { probeDocker, type DockerProbe } from './container/docker.js';
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
  const docker: DockerProbe = needsDocker ? await probeDocker() : { ok: false, reason: `not probed (MQTT_TESTBENCH_RUNTIME=${settings.runtime})` };
  const mosquitto = findMosquittoBinary(settings.mosquittoBin);

  switch (settings.runtime) {
    case 'container':
      if (!docker.ok) throw new RuntimeUnavailableError(`MQTT_TESTBENCH_RUNTIME=container, but ${docker.reason}`);
      return { kind: 'container', reason: `MQTT_TESTBENCH_RUNTIME=container; Docker ${docker.serverVersion} answered at ${docker.host}.`, docker };
    case 'process':
      if (!mosquitto) throw new RuntimeUnavailableError('MQTT_TESTBENCH_RUNTIME=process, but no mosquitto binary was found on PATH or at /usr/sbin/mosquitto: install it (apt-get install mosquitto) or set MQTT_TESTBENCH_MOSQUITTO_BIN.');
      return { kind: 'process', reason: `MQTT_TESTBENCH_RUNTIME=process; mosquitto binary at ${mosquitto}.`, docker };
    case 'embedded':
      return { kind: 'embedded', reason: 'MQTT_TESTBENCH_RUNTIME=embedded; brokers run inside the test process (aedes).', docker };
    case 'auto':
      if (docker.ok) return { kind: 'container', reason: `auto: Docker ${docker.serverVersion} answered at ${docker.host}.`, docker };
      if (mosquitto) return { kind: 'process', reason: `auto: ${docker.reason.split(' (')[0]}; mosquitto binary found at ${mosquitto}.`, docker };
      return { kind: 'embedded', reason: `auto: ${docker.reason.split(' (')[0]} and no mosquitto binary was found; brokers run inside the test process (aedes).`, docker };
  }
}
