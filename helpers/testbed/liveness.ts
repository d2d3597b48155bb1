import type { StartedComponent } from '../model/index.js';
import type { LoadResult } from '../load/types.js';

/** `<label> is not running: <why>` for every component that is not running (none: empty). */
export async function deadComponents(components: readonly StartedComponent[]): Promise<string[]> {
  const states = await Promise.all(
    components.map(async (component) => {
      try {
        const liveness = await component.liveness();
        return liveness.alive ? undefined : `${component.label} is not running: ${liveness.why}`;
      } catch (error) {
        return `${component.label}: its state could not be read (${error instanceof Error ? error.message : String(error)})`;
      }
    }),
  );
  return states.filter((state): state is string => state !== undefined);
}

/** The parts of a started topology (testbed/topology.ts StartedTopology), in the order they are reported. */
export function topologyComponents(topology: {
  downstream: StartedComponent;
  forwarder: StartedComponent;
  upstream: StartedComponent;
}): StartedComponent[] {
  return [topology.downstream, topology.forwarder, topology.upstream];
}

export interface LivenessWatch {
  /** Why a watched component died, once one did (synchronous: usable as a probe's abort reason). */
  reason(): string | undefined;
  stop(): void;
}

/**
 * Polls the components' liveness in the background (container state needs a Docker call, so it
 * cannot be read synchronously), so that a wait on them (a probe, a stream) can give up as soon
 * as one died instead of running into its timeout.
 */
export function watchLiveness(components: readonly StartedComponent[], intervalMs = 250): LivenessWatch {
  let dead: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const found = await deadComponents(components);
    if (found.length > 0) dead = found.join('; ');
    if (!stopped && dead === undefined) timer = setTimeout(() => void poll(), intervalMs);
  };
  void poll();
  return {
    reason: () => dead,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export interface LoadSides {
  /** Where the load's publishers connect (a broker, or the downstream broker of a topology). */
  publishers: StartedComponent;
  /** Where its subscribers connect. */
  subscribers: StartedComponent;
  /** Anything else on the path (the forwarder). */
  others?: readonly StartedComponent[];
}

/**
 * A load run's errors in plain words, with what died: the load engine only knows that a client
 * lost its connection; this adds which broker or forwarder is not running and how it ended.
 * Undefined when the run reported no errors.
 */
export async function describeLoadErrors(
  load: Pick<LoadResult, 'errors'>,
  sides: LoadSides,
): Promise<string | undefined> {
  if (load.errors.length === 0) return undefined;
  const errors = load.errors
    .map((e) => `${e.source} ${e.clientId}: ${e.message}${e.count > 1 ? ` (x${e.count})` : ''}`)
    .join('; ');
  const components = [...new Set([sides.publishers, sides.subscribers, ...(sides.others ?? [])])];
  const dead = await deadComponents(components);
  const what =
    dead.length > 0
      ? dead.join('; ')
      : `${components.map((c) => c.label).join(', ')} ${components.length === 1 ? 'is' : 'are'} still running`;
  return `the load run reported errors (${errors}); ${what}`;
}
