import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultName, StartedComponent } from '../model/index.js';
import { nowUs } from '../load/clock.js';
import { withTimeout } from '../runtime/readiness-error.js';
import type { StartedTopology } from '../testbed/topology.js';
import { redact } from '../security/redact.js';

/** The faults the fault-injection suite puts into a forwarding topology while it streams. */
export type FaultKind = 'forwarder-kill' | 'upstream-restart' | 'downstream-restart' | 'forwarder-pause';

export const FAULT_KINDS: readonly FaultKind[] = [
  'forwarder-kill',
  'upstream-restart',
  'downstream-restart',
  'forwarder-pause',
];

/** How long the forwarder stays paused: the fault itself, not a readiness wait. */
export const DEFAULT_PAUSE_MS = 5_000;
/**
 * Default bound of one step (kill, start, restart, pause, resume). A start waits for readiness
 * within the startup budget (60 s by default) and a graceful stop gives the broker 10 s; the bound
 * only catches a Docker engine or a process that stopped answering.
 */
export const DEFAULT_STEP_TIMEOUT_MS = 150_000;

type Role = 'forwarder' | 'upstream' | 'downstream';

interface FaultDefinition {
  /** Words used in test names, results and failure messages. */
  title: string;
  role: Role;
  /** Fault controls the fault needs from its component. */
  needs: readonly FaultName[];
  /** What "the component is back" means for this fault (the start of the recovery time). */
  back: string;
}

export const FAULTS: Readonly<Record<FaultKind, FaultDefinition>> = {
  'forwarder-kill': {
    title: 'kill -9 and restart of the forwarder',
    role: 'forwarder',
    needs: ['kill', 'start'],
    back: 'faults.start() returned: the forwarder runs again and an end-to-end probe passed through it',
  },
  'upstream-restart': {
    title: 'restart of the upstream broker',
    role: 'upstream',
    needs: ['restart'],
    back: 'faults.restart() returned: the broker stopped gracefully, started again and passed its MQTT probe',
  },
  'downstream-restart': {
    title: 'restart of the downstream broker',
    role: 'downstream',
    needs: ['restart'],
    back: 'faults.restart() returned: the broker stopped gracefully, started again and passed its MQTT probe',
  },
  'forwarder-pause': {
    title: 'pause of the forwarder for 5 s',
    role: 'forwarder',
    needs: ['pause', 'resume'],
    back: 'faults.resume() returned (container unpaused or SIGCONT delivered)',
  },
};

/** When a fault happened, on the load engine's monotonic clock (helpers/load/clock.ts nowUs). */
export interface FaultTimeline {
  kind: FaultKind;
  /** The fault began (kill, stop or pause called). */
  injectedAtUs: number;
  /** The component was back: the fault control returned (see FAULTS[kind].back). */
  backAtUs: number;
  /** back − injected, ms. */
  downtimeMs: number;
}

/** A fault control failed or the component did not come back; names the component, the step and its log tail. */
export class FaultInjectionError extends Error {
  override readonly name = 'FaultInjectionError';
}

export function faultComponent(topology: StartedTopology, kind: FaultKind): StartedComponent {
  const role = FAULTS[kind].role;
  return role === 'forwarder' ? topology.forwarder : role === 'upstream' ? topology.upstream : topology.downstream;
}

/** Why this topology cannot take the fault (a control its runtime lacks), or undefined when it can. */
export function unsupportedReason(topology: StartedTopology, kind: FaultKind): string | undefined {
  const component = faultComponent(topology, kind);
  const missing = FAULTS[kind].needs.filter((name) => !component.faults.supported.has(name));
  if (missing.length === 0) return undefined;
  const why =
    component.runtime === 'external'
      ? 'the testbench does not control an external broker'
      : component.runtime === 'embedded'
        ? 'an in-process broker cannot be paused or signalled'
        : `its ${component.runtime} runtime lacks them`;
  return `${component.label} has no ${missing.join('/')} fault control (${why}), so the ${FAULTS[kind].title} cannot be injected`;
}

/**
 * Injects one fault and returns once the component is back. The forwarder's `start` comes from
 * the topology, so it returns only after an end-to-end probe passed again; a broker's `restart`
 * is a graceful stop (persistence is saved) and a start that waits for its MQTT probe.
 */
export async function injectFault(
  topology: StartedTopology,
  kind: FaultKind,
  options: { pauseMs?: number; stepTimeoutMs?: number } = {},
): Promise<FaultTimeline> {
  const component = faultComponent(topology, kind);
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const injectedAtUs = nowUs();
  const step = async (name: string, action: () => Promise<void>) => {
    try {
      await withTimeout(action(), stepTimeoutMs, () => new Error(`no answer within ${stepTimeoutMs} ms`));
    } catch (error) {
      const logs = await component.logTail(30);
      throw new FaultInjectionError(
        redact(
          `${topology.id} (${topology.runtime}): ${FAULTS[kind].title} failed at "${name}" of ${component.label} after ${Math.round((nowUs() - injectedAtUs) / 1000)} ms: ${error instanceof Error ? error.message : String(error)}\nlast log lines of ${component.label}:\n${logs}`,
        ),
        { cause: error },
      );
    }
  };
  switch (kind) {
    case 'forwarder-kill':
      await step('kill', () => component.faults.kill());
      await step('start', () => component.faults.start());
      break;
    case 'upstream-restart':
    case 'downstream-restart':
      await step('restart', () => component.faults.restart());
      break;
    case 'forwarder-pause':
      await step('pause', () => component.faults.pause());
      try {
        await sleep(options.pauseMs ?? DEFAULT_PAUSE_MS); // the fault itself, not a readiness wait
      } finally {
        await step('resume', () => component.faults.resume());
      }
      break;
  }
  const backAtUs = nowUs();
  return { kind, injectedAtUs, backAtUs, downtimeMs: Math.round((backAtUs - injectedAtUs) / 1000) };
}
