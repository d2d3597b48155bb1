import type Dockerode from 'dockerode';
import type { StartedTestContainer } from 'testcontainers';
import { processTreeCpuMs } from '../proc.js';
import type {
  CpuReading,
  FaultControls,
  FaultName,
  Liveness,
  RuntimeKind,
  StartedComponent,
} from '../../model/index.js';
import { dockerClient } from './docker.js';

const ALL_FAULTS: ReadonlySet<FaultName> = new Set(['stop', 'kill', 'start', 'restart', 'pause', 'resume']);
const GRACEFUL_STOP_S = 10;

/**
 * Lifecycle and fault controls shared by every container the testbed starts. `ready` re-checks
 * readiness after `start` (a protocol probe: a log wait would also match the previous run's line).
 */
export class ContainerComponent implements StartedComponent {
  readonly runtime: RuntimeKind = 'container';
  readonly faults: FaultControls;
  private disposed = false;

  constructor(
    readonly label: string,
    readonly container: StartedTestContainer,
    private readonly ready: () => Promise<void>,
  ) {
    this.faults = {
      supported: ALL_FAULTS,
      stop: async () => (await this.handle()).stop({ t: GRACEFUL_STOP_S }).then(() => undefined),
      kill: async () => {
        const handle = await this.handle();
        await handle.kill({ signal: 'SIGKILL' });
        await handle.wait();
      },
      start: async () => {
        await (await this.handle()).start();
        await this.ready();
      },
      restart: async () => {
        await this.faults.stop();
        await this.faults.start();
      },
      pause: async () => (await this.handle()).pause().then(() => undefined),
      resume: async () => (await this.handle()).unpause().then(() => undefined),
    };
  }

  async logTail(lines = 30): Promise<string> {
    try {
      const raw = await (await this.handle()).logs({ stdout: true, stderr: true, follow: false, tail: lines });
      return demuxDockerLog(raw);
    } catch (error) {
      return `(logs unavailable: ${error instanceof Error ? error.message : String(error)})`;
    }
  }

  async liveness(): Promise<Liveness> {
    if (this.disposed) return { alive: false, why: 'it was disposed' };
    try {
      const state = (await (await this.handle()).inspect()).State;
      if (state.Running) return { alive: true };
      const oom = state.OOMKilled ? ', killed for lack of memory (OOM)' : '';
      const error = state.Error ? `: ${state.Error}` : '';
      return { alive: false, why: `its container is ${state.Status} with exit code ${state.ExitCode}${oom}${error}` };
    } catch (error) {
      if (/No such container|404/.test(String(error))) return { alive: false, why: 'its container no longer exists' };
      throw error;
    }
  }

  /** The container's processes as this host's kernel sees them (Docker on this machine): CPU of its init's process tree. */
  async cpuTime(): Promise<CpuReading> {
    const pid = (await (await this.handle()).inspect()).State.Pid;
    const cpuMs = pid > 0 ? processTreeCpuMs([pid]) : null;
    return cpuMs === null
      ? { kind: 'unknown', why: `the processes of ${this.label} are not visible in this host's /proc (remote Docker?)` }
      : { kind: 'measured', cpuMs };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    try {
      // Forced removal also works for paused and already stopped containers.
      await (await this.handle()).remove({ force: true, v: true });
    } catch (error) {
      if (!/No such container|404|is already in progress/.test(String(error))) throw error;
    }
  }

  private async handle(): Promise<Dockerode.Container> {
    return (await dockerClient()).container.getById(this.container.getId());
  }
}

/** Docker multiplexes stdout/stderr of non-TTY containers in frames: 1 byte stream, 3 zero, 4 bytes length. */
export function demuxDockerLog(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  const parts: string[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size).toString('utf8'));
    offset += 8 + size;
  }
  return parts.join('').trimEnd();
}
