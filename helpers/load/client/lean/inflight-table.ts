/** Called once per entry when it leaves the table (acknowledged, refused or connection lost). */
export type InflightDone = (error: Error | undefined, atUs: number) => void;

const MAX_PACKET_ID = 65_535;
const INITIAL_CAPACITY = 4;

/**
 * The packet ids in flight on one connection and what to call when each is acknowledged, with no
 * object or Map entry per message (a Map that grows to one entry and shrinks back reallocates
 * every time). Ids are handed out in sequence, and an id's slot is `id & mask`; ids live at
 * the same time are distinct modulo the capacity, so doubling the capacity never collides. Kept
 * at most half full; an id whose slot is taken (acks came back out of order) is skipped.
 */
export class InflightTable {
  size = 0;
  private capacity = INITIAL_CAPACITY;
  private ids = new Int32Array(INITIAL_CAPACITY);
  private done: (InflightDone | undefined)[] = new Array<InflightDone | undefined>(INITIAL_CAPACITY);
  private next = 1;

  /** A free packet id, taken for `done`; 0 when all 65,535 are in flight. */
  add(done: InflightDone): number {
    if (this.size >= MAX_PACKET_ID) return 0;
    if (this.size * 2 >= this.capacity && this.capacity <= MAX_PACKET_ID) this.grow();
    for (;;) {
      const id = this.next;
      this.next = id === MAX_PACKET_ID ? 1 : id + 1;
      const slot = id & (this.capacity - 1);
      if (this.ids[slot] !== 0) continue;
      this.ids[slot] = id;
      this.done[slot] = done;
      this.size++;
      return id;
    }
  }

  has(id: number): boolean {
    return this.ids[id & (this.capacity - 1)] === id;
  }

  /** Removes `id` and returns its callback; undefined when it is not in flight. */
  take(id: number): InflightDone | undefined {
    const slot = id & (this.capacity - 1);
    if (this.ids[slot] !== id) return undefined;
    const done = this.done[slot];
    this.ids[slot] = 0;
    this.done[slot] = undefined;
    this.size--;
    return done;
  }

  /** Empties the table and returns every callback (in slot order, not id order). */
  takeAll(): InflightDone[] {
    const all: InflightDone[] = [];
    for (let slot = 0; slot < this.capacity; slot++) {
      const done = this.done[slot];
      if (this.ids[slot] !== 0 && done) all.push(done);
    }
    this.ids.fill(0);
    this.done.fill(undefined);
    this.size = 0;
    return all;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const ids = new Int32Array(capacity);
    const done = new Array<InflightDone | undefined>(capacity);
    for (let slot = 0; slot < this.capacity; slot++) {
      const id = this.ids[slot] as number;
      if (id === 0) continue;
      const to = id & (capacity - 1);
      ids[to] = id;
      done[to] = this.done[slot];
    }
    this.capacity = capacity;
    this.ids = ids;
    this.done = done;
  }
}
