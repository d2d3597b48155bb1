/** Keeps the last lines a component printed, and lets callers wait for a line to appear. */
export class LogBuffer {
  private readonly lines: string[] = [];
  private partial = '';
  private total = 0;
  private readonly listeners = new Set<(line: string, index: number) => void>();

  constructor(private readonly capacity = 500) {}

  /** Number of complete lines seen since creation (also those already evicted). */
  get lineCount(): number {
    return this.total;
  }

  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  /** Flushes a trailing line without newline (at process exit). */
  flush(): void {
    if (this.partial !== '') {
      this.add(this.partial);
      this.partial = '';
    }
  }

  tail(count = 20): string {
    const last = this.lines.slice(-count);
    if (this.partial !== '') last.push(this.partial);
    return last.join('\n');
  }

  /** Calls `listener` for every future line; returns an unsubscribe function. */
  onLine(listener: (line: string, index: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lines with index >= `fromIndex` still in the buffer. */
  linesSince(fromIndex: number): string[] {
    const firstKept = this.total - this.lines.length;
    return this.lines.slice(Math.max(0, fromIndex - firstKept));
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    const index = this.total;
    this.total += 1;
    for (const listener of this.listeners) listener(line, index);
  }
}
