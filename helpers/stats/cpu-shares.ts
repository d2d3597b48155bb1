/** Who used the CPU during a measured window, and how a report says it (measured by helpers/runtime/cpu-meter.ts). */

/** CPU use over one window, in cores (1 = one core fully busy for the whole window). */
export interface CpuShares {
  windowMs: number;
  machineCores: number;
  /** Every process of the machine; null where /proc/stat is not readable. */
  machineBusyCores: number | null;
  harnessCores: number;
  /** The system under test's processes and containers; null when not all of them are visible. */
  systemUnderTestCores: number | null;
  /** Why the system under test's share is unknown (an embedded broker, an external one, no /proc). */
  systemUnderTestUnknown?: string;
}

/** `harness 0.9 cores, system under test 1.1, other processes 0.0 (2 cores)`, for reports. */
export function describeCpuShares(shares: CpuShares): string {
  const sut =
    shares.systemUnderTestCores === null
      ? `system under test unknown (${shares.systemUnderTestUnknown ?? 'not measured'})`
      : `system under test ${shares.systemUnderTestCores.toFixed(2)}`;
  const others =
    shares.machineBusyCores === null
      ? ''
      : `, other processes ${Math.max(0, shares.machineBusyCores - shares.harnessCores - (shares.systemUnderTestCores ?? 0)).toFixed(2)}`;
  return `CPU over ${(shares.windowMs / 1000).toFixed(1)} s: harness ${shares.harnessCores.toFixed(2)} cores, ${sut}${others} (machine: ${shares.machineCores} cores${shares.machineBusyCores === null ? '' : `, ${shares.machineBusyCores.toFixed(2)} busy`})`;
}
