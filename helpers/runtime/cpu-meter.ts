/**
 * Who used the CPU during a measured window: the harness (this process, worker threads included),
 * the system under test (the processes and containers the testbed started for it), and everything
 * else on the machine. A harness that fell behind while the system under test took the cores was
 * starved by it; one that fell behind on its own, or beside other work, says nothing about it.
 */
import { availableParallelism } from 'node:os';
import type { StartedComponent } from '../model/index.js';
import type { CpuShares } from '../stats/cpu-shares.js';
import { machineCpuMs } from './proc.js';

export interface CpuMeter {
  stop(): Promise<CpuShares>;
}

/** What the meter reads of a component: its label and CPU time (an external broker's is `unknown`). */
export type MeteredComponent = Pick<StartedComponent, 'label' | 'cpuTime'>;

/** Starts measuring; `systemUnderTest` are the components the scenario measures (brokers, forwarder). */
export async function startCpuMeter(systemUnderTest: readonly MeteredComponent[]): Promise<CpuMeter> {
  const began = performance.now();
  const harnessBefore = process.cpuUsage();
  const machineBefore = machineCpuMs();
  const sutBefore = await readComponents(systemUnderTest);
  return {
    async stop(): Promise<CpuShares> {
      const harness = process.cpuUsage(harnessBefore);
      const machineAfter = machineCpuMs();
      const sutAfter = await readComponents(systemUnderTest);
      const windowMs = Math.max(1, performance.now() - began);
      const cores = (ms: number): number => Math.round((ms / windowMs) * 1000) / 1000;
      const shares: CpuShares = {
        windowMs: Math.round(windowMs),
        machineCores: availableParallelism(),
        machineBusyCores: machineBefore && machineAfter ? cores(machineAfter.busyMs - machineBefore.busyMs) : null,
        harnessCores: cores((harness.user + harness.system) / 1000),
        systemUnderTestCores: null,
      };
      const unknown = sutBefore.unknown ?? sutAfter.unknown;
      if (unknown) shares.systemUnderTestUnknown = unknown;
      // A component restarted during the window starts its count again: its reading after is a lower bound.
      else shares.systemUnderTestCores = cores(sutAfter.totalMs - Math.min(sutBefore.totalMs, sutAfter.totalMs));
      return shares;
    },
  };
}

async function readComponents(components: readonly MeteredComponent[]): Promise<{ totalMs: number; unknown?: string }> {
  const readings = await Promise.all(components.map((c) => c.cpuTime().catch((e: unknown) => errorReading(c, e))));
  let totalMs = 0;
  for (const [i, reading] of readings.entries()) {
    if (reading.kind !== 'measured') return { totalMs, unknown: `${components[i]?.label}: ${reading.why}` };
    totalMs += reading.cpuMs;
  }
  return { totalMs };
}

function errorReading(component: MeteredComponent, error: unknown) {
  return { kind: 'unknown' as const, why: `its CPU time could not be read (${String(error)}) for ${component.label}` };
}
