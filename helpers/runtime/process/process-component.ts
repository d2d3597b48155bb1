import { processTreeCpuMs } from '../proc.js';
import type {
  CpuReading,
  FaultControls,
  FaultName,
  Liveness,
  RuntimeKind,
  StartedComponent,
} from '../../model/index.js';
import { describeExit, type ManagedProcess } from './managed-process.js';

const ALL_FAULTS: ReadonlySet<FaultName> = new Set(['stop', 'kill', 'start', 'restart', 'pause', 'resume']);

export interface ProcessComponentOptions {
  /** How long a graceful stop may take before the process is killed (default: ManagedProcess's 5 s). */
  stopGraceMs?: number;
}

/**
 * Lifecycle and fault controls for a component that runs as a local process. `launch` spawns it
 * and waits until it is ready; `start` after `stop`/`kill` calls it again with the same spec.
 * `cleanup` runs once the process is gone at dispose: its files, and helper processes of its own.
 */
export class ProcessComponent implements StartedComponent {
  readonly runtime: RuntimeKind = 'process';
  readonly faults: FaultControls;
  private disposed = false;

  constructor(
    readonly label: string,
    readonly process: ManagedProcess,
    private readonly launch: () => Promise<void>,
    private readonly cleanup: () => void | Promise<void> = () => undefined,
    private readonly options: ProcessComponentOptions = {},
  ) {
    this.faults = {
      supported: ALL_FAULTS,
      stop: async () => {
        await this.process.terminate(this.options.stopGraceMs);
      },
      kill: async () => {
        await this.process.kill();
      },
      start: async () => {
        await this.launch();
      },
      restart: async () => {
        await this.process.terminate(this.options.stopGraceMs);
        await this.launch();
      },
      pause: () => {
        this.process.pause();
        return Promise.resolve();
      },
      resume: () => {
        this.process.resume();
        return Promise.resolve();
      },
    };
  }

  logTail(lines = 30): Promise<string> {
    return Promise.resolve(this.process.logs.tail(lines));
  }

  liveness(): Promise<Liveness> {
    if (this.disposed) return Promise.resolve({ alive: false, why: 'it was disposed' });
    if (this.process.running) return Promise.resolve({ alive: true });
    const exited = this.process.exited;
    return Promise.resolve({
      alive: false,
      why: exited
        ? `its process (${this.process.spec.command}) exited with ${describeExit(exited)}`
        : 'its process is not running',
    });
  }

  cpuTime(): Promise<CpuReading> {
    const pid = this.process.running ? this.process.pid : undefined;
    const cpuMs = pid === undefined ? null : processTreeCpuMs([pid]);
    return Promise.resolve(
      cpuMs === null
        ? { kind: 'unknown', why: `${this.label} is not running or /proc is not readable` }
        : { kind: 'measured', cpuMs },
    );
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.process.terminate(this.options.stopGraceMs);
    await this.cleanup();
  }
}
