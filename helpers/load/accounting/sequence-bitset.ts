const INITIAL_WORDS = 32;

/**
 * A growable set of non-negative sequence numbers, one bit each
 * (10 million sequences ≈ 1.2 MB). Keeps its cardinality incrementally.
 */
export class SequenceBitset {
  private words: Uint32Array;
  private count = 0;

  constructor(words?: Uint32Array) {
    this.words = words ?? new Uint32Array(INITIAL_WORDS);
    if (words) this.count = popcountWords(words, 0, words.length);
  }

  /** Adds `seq`; true when it was not there yet. */
  add(seq: number): boolean {
    const word = seq >>> 5;
    if (word >= this.words.length) this.grow(word + 1);
    const mask = 1 << (seq & 31);
    const current = this.words[word] ?? 0;
    if ((current & mask) !== 0) return false;
    this.words[word] = current | mask;
    this.count++;
    return true;
  }

  has(seq: number): boolean {
    const word = seq >>> 5;
    return word < this.words.length && ((this.words[word] ?? 0) & (1 << (seq & 31))) !== 0;
  }

  get size(): number {
    return this.count;
  }

  /** |this ∩ other| */
  countAnd(other: SequenceBitset): number {
    const n = Math.min(this.words.length, other.words.length);
    let total = 0;
    for (let i = 0; i < n; i++) total += popcount((this.words[i] ?? 0) & (other.words[i] ?? 0));
    return total;
  }

  /** |this \ other| */
  countAndNot(other: SequenceBitset): number {
    return this.count - this.countAnd(other);
  }

  /** Members in [from, to). */
  countInRange(from: number, to: number): number {
    let total = 0;
    const end = Math.min(to, this.words.length * 32);
    for (let seq = from; seq < end;) {
      if ((seq & 31) === 0 && seq + 32 <= end) {
        total += popcount(this.words[seq >>> 5] ?? 0);
        seq += 32;
      } else {
        if (this.has(seq)) total++;
        seq++;
      }
    }
    return total;
  }

  /** Up to `limit` members of this that are not in `other`, ascending. */
  sampleAndNot(other: SequenceBitset, limit: number): number[] {
    const sample: number[] = [];
    for (let i = 0; i < this.words.length && sample.length < limit; i++) {
      let bits = ((this.words[i] ?? 0) & ~(other.words[i] ?? 0)) >>> 0;
      while (bits !== 0 && sample.length < limit) {
        const low = bits & -bits;
        sample.push(i * 32 + 31 - Math.clz32(low));
        bits = (bits ^ low) >>> 0;
      }
    }
    return sample;
  }

  /** Up to `limit` sequences in [0, below) that are not members, ascending. */
  sampleMissingBelow(below: number, limit: number): number[] {
    const sample: number[] = [];
    for (let i = 0; i * 32 < below && sample.length < limit; i++) {
      const inRange = below - i * 32 >= 32 ? 0xffffffff : (1 << (below - i * 32)) - 1;
      let bits = (~(this.words[i] ?? 0) & inRange) >>> 0;
      while (bits !== 0 && sample.length < limit) {
        const low = bits & -bits;
        sample.push(i * 32 + 31 - Math.clz32(low));
        bits = (bits ^ low) >>> 0;
      }
    }
    return sample;
  }

  /** this ∪= other */
  addAll(other: SequenceBitset): void {
    if (other.words.length > this.words.length) this.grow(other.words.length);
    for (let i = 0; i < other.words.length; i++) this.words[i] = (this.words[i] ?? 0) | (other.words[i] ?? 0);
    this.count = popcountWords(this.words, 0, this.words.length);
  }

  clone(): SequenceBitset {
    return new SequenceBitset(this.words.slice());
  }

  /** Little-endian words without trailing zero words, base64. */
  toBase64(): string {
    let used = this.words.length;
    while (used > 0 && this.words[used - 1] === 0) used--;
    const bytes = Buffer.alloc(used * 4);
    for (let i = 0; i < used; i++) bytes.writeUInt32LE(this.words[i] ?? 0, i * 4);
    return bytes.toString('base64');
  }

  static fromBase64(encoded: string): SequenceBitset {
    const bytes = Buffer.from(encoded, 'base64');
    if (bytes.length % 4 !== 0)
      throw new Error(`SequenceBitset: encoded length ${bytes.length} is not a multiple of 4`);
    const words = new Uint32Array(Math.max(INITIAL_WORDS, bytes.length / 4));
    for (let i = 0; i < bytes.length / 4; i++) words[i] = bytes.readUInt32LE(i * 4);
    return new SequenceBitset(words);
  }

  private grow(minWords: number): void {
    const next = new Uint32Array(Math.max(minWords, this.words.length * 2));
    next.set(this.words);
    this.words = next;
  }
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function popcountWords(words: Uint32Array, from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += popcount(words[i] ?? 0);
  return total;
}
