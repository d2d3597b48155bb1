import { GenericContainer, type StartedTestContainer } from 'testcontainers';
import { LogBuffer } from '../process/log-buffer.js';
import { ReadinessError } from '../readiness-error.js';
import { dockerClient, runLabels } from './docker.js';

/**
 * Base of every container the testbed starts. On top of GenericContainer it labels the container
 * for the reaper, keeps its log output (so a readiness failure can show the last lines even though
 * testcontainers removes a container that failed its wait strategy), and removes a container that
 * was created but failed to start, so a half-started run leaves nothing behind.
 */
export class TestbenchContainer extends GenericContainer {
  readonly logs = new LogBuffer();
  private createdId: string | undefined;

  constructor(
    image: string,
    protected readonly label: string,
  ) {
    super(image);
    this.withLabels(runLabels()).withLogConsumer((stream) => {
      stream.on('data', (chunk: Buffer | string) => this.logs.push(chunk.toString()));
    });
  }

  protected override containerCreated(containerId: string): Promise<void> {
    this.createdId = containerId;
    return Promise.resolve();
  }

  override async start(): Promise<StartedTestContainer> {
    const started = Date.now();
    try {
      return await super.start();
    } catch (error) {
      await this.removeCreated();
      const message = error instanceof Error ? error.message : String(error);
      throw new ReadinessError(
        this.label,
        /not received after|timed out|timeout/i.test(message) ? 'container wait strategy' : 'container start',
        Date.now() - started,
        this.logs.tail(30),
        error,
      );
    }
  }

  private async removeCreated(): Promise<void> {
    if (!this.createdId) return;
    try {
      await (await dockerClient()).container.getById(this.createdId).remove({ force: true, v: true });
    } catch (error) {
      if (!/No such container|404|is already in progress/.test(String(error))) throw error;
    }
  }
}
