import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { getContainerRuntimeClient, ImageName, type ContainerRuntimeClient } from 'testcontainers';
import type { Availability } from '../../model/index.js';
import { withTimeout } from '../readiness-error.js';
import {
  currentResourceScope,
  LABEL_OWNER_HOST,
  LABEL_OWNER_PID,
  LABEL_RUN_ID,
  LABEL_SCOPE,
  runContext,
} from '../run-context.js';
import { DOCKER_MARKER } from '../reaper/reap.mjs';

const DOCKER_PROBE_TIMEOUT_MS = 10_000;
const PULL_TIMEOUT_MS = 300_000;

export interface DockerInfo {
  serverVersion: string;
  host: string;
  operatingSystem: string;
}

export type DockerProbe = ({ ok: true } & DockerInfo) | { ok: false; reason: string };

/** Asks the Docker engine for `info`; never throws. */
export async function probeDocker(): Promise<DockerProbe> {
  try {
    const client = await withTimeout(
      getContainerRuntimeClient(),
      DOCKER_PROBE_TIMEOUT_MS,
      () => new Error(`no answer within ${DOCKER_PROBE_TIMEOUT_MS} ms`),
    );
    const info = client.info.containerRuntime;
    return {
      ok: true,
      serverVersion: String(info.serverVersion),
      host: info.host,
      operatingSystem: info.operatingSystem,
    };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      reason: `Docker is not reachable (${why}). Start the Docker daemon (e.g. \`sudo dockerd\` or \`sudo systemctl start docker\`), or set DOCKER_HOST, or choose another runtime with MQTT_TESTBENCH_RUNTIME=process|embedded.`,
    };
  }
}

export async function dockerClient(): Promise<ContainerRuntimeClient> {
  return getContainerRuntimeClient();
}

const availabilityByImage = new Map<string, Promise<Availability>>();

/**
 * Whether an image is usable: present locally, or pulled now. Pull failures (no registry) make the
 * image unavailable with a reason that says how to provide it. Asked once per image and process:
 * the runtime selection and the run plan both ask, and a failing pull is slow to fail.
 */
export function imageAvailability(
  image: string,
  settingName: string,
  howToGet = 'or build the offline images with `bash helpers/images/build-offline-images.sh`',
): Promise<Availability> {
  const key = `${image}\n${settingName}\n${howToGet}`;
  let answer = availabilityByImage.get(key);
  if (!answer) {
    answer = checkImage(image, settingName, howToGet);
    availabilityByImage.set(key, answer);
  }
  return answer;
}

async function checkImage(image: string, settingName: string, howToGet: string): Promise<Availability> {
  const client = await dockerClient();
  const name = ImageName.fromString(image);
  if (await client.image.exists(name)) return { ok: true, detail: `image ${image} present locally` };
  try {
    await withTimeout(
      client.image.pull(name),
      PULL_TIMEOUT_MS,
      () => new Error(`pull did not finish within ${PULL_TIMEOUT_MS} ms`),
    );
    return { ok: true, detail: `image ${image} pulled` };
  } catch (error) {
    return {
      ok: false,
      reason: `image ${image} is not present locally and could not be pulled (${shortPullError(error)}). Set ${settingName} to an image this machine has, ${howToGet}.`,
    };
  }
}

/** Docker's pull errors repeat the registry URL and HTTP framing; keep the part that says why. */
function shortPullError(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  const dial = /dial tcp: (.*)$/.exec(message)?.[1];
  return (dial ?? message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')).trim().slice(0, 160);
}

/** Labels that let the reaper find a run's containers and networks. Also marks the run as using Docker. */
export function runLabels(): Record<string, string> {
  const ctx = runContext();
  writeFileSync(join(ctx.runDir, DOCKER_MARKER), '');
  const scope = currentResourceScope();
  return {
    [LABEL_RUN_ID]: ctx.runId,
    [LABEL_OWNER_PID]: String(ctx.ownerPid),
    [LABEL_OWNER_HOST]: hostname(),
    ...(scope === undefined ? {} : { [LABEL_SCOPE]: scope }),
  };
}
