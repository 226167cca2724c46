/**
 * A fixed-size bit set over piece indexes, most significant bit first as on the wire (BEP 3).
 *
 * @example
 * ```ts
 * const b = new Bitfield(10)
 * b.set(3)
 * b.get(3) // true
 * ```
 */
export class Bitfield {
  /** Number of bits. */
  readonly length: number
  /** The packed bytes (spare bits of the last byte stay 0). */
  readonly buffer: Uint8Array
  #count = 0

  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`expected a bit count, got ${length}`)
    this.length = length
    this.buffer = new Uint8Array(Math.ceil(length / 8))
    if (bytes) {
      for (let i = 0; i < length; i++) {
        if (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) this.set(i)
      }
    }
  }

  /** Whether bit `i` is set (false outside the range). */
  get(i: number): boolean {
    if (i < 0 || i >= this.length) return false
    return ((this.buffer[i >> 3]! >> (7 - (i & 7))) & 1) === 1
  }

  /** Sets or clears bit `i`. */
  set(i: number, value = true): void {
    if (i < 0 || i >= this.length || !Number.isInteger(i))
      throw new RangeError(`bit ${i} outside 0..${this.length - 1}`)
    const mask = 1 << (7 - (i & 7))
    const had = (this.buffer[i >> 3]! & mask) !== 0
    if (value === had) return
    if (value) {
      this.buffer[i >> 3]! |= mask
      this.#count++
    } else {
      this.buffer[i >> 3]! &= ~mask
      this.#count--
    }
  }

  /** Number of set bits. */
  count(): number {
    return this.#count
  }

  /** Whether every bit is set. */
  full(): boolean {
    return this.#count === this.length
  }

  /** Sets every bit. */
  fill(): void {
    for (let i = 0; i < this.length; i++) this.set(i)
  }

  /** Indexes of the set bits. */
  *ones(): IterableIterator<number> {
    for (let i = 0; i < this.length; i++) if (this.get(i)) yield i
  }
}
