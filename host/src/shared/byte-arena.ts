/**
 * Copies of small byte strings packed into slabs of their own, for data kept a long time.
 *
 * Node allocates every Buffer under Buffer.poolSize / 2 as a view of a shared pool slab (64 KiB
 * in Node 24, where Node 20 had 8 KiB), so `Buffer.from(small)` kept in a long-lived map pins
 * the whole slab, together with whatever short-lived buffers (request bodies, parser chunks...)
 * were cut from it meanwhile. A restore kept 10,000 extracted items of ~1.1 KiB that way: 11 MiB of items held
 * 48 MiB of slabs. Here the copies fill slabs that hold nothing else, so what is kept costs its
 * own size, plus at most an eighth of a slab at each slab's end.
 */
export const DEFAULT_SLAB_BYTES = 1024 * 1024;

export class ByteArena {
  readonly #slabBytes: number;
  #slab: Buffer = Buffer.alloc(0);
  #used = 0;
  #allocated = 0;

  constructor(slabBytes = DEFAULT_SLAB_BYTES) {
    this.#slabBytes = slabBytes;
  }

  /**
   * A copy of `bytes` that shares memory only with other copies of this arena. One larger than an
   * eighth of a slab gets a buffer of its own (so a slab's unused end stays small).
   */
  copy(bytes: Uint8Array): Buffer {
    const n = bytes.length;
    if (n > this.#slabBytes / 8) {
      const own = Buffer.allocUnsafeSlow(n);
      own.set(bytes);
      this.#allocated += n;
      return own;
    }
    if (this.#used + n > this.#slab.length) {
      this.#slab = Buffer.allocUnsafeSlow(this.#slabBytes);
      this.#used = 0;
      this.#allocated += this.#slabBytes;
    }
    const out = this.#slab.subarray(this.#used, this.#used + n);
    out.set(bytes);
    this.#used += n;
    return out;
  }

  /** Bytes of memory this arena has allocated (slabs and own buffers), whether or not still referenced. */
  get allocatedBytes(): number {
    return this.#allocated;
  }
}
