/**
 * A piece bitfield in wire order (BEP 3: the high bit of byte 0 is piece 0). Its `length` is the
 * number of pieces; setting a bit past it grows it (a peer's pieces are heard before the piece count
 * is known). The spare bits of the last byte stay 0.
 *
 * @example
 * ```ts
 * const bits = new Bitfield(10)
 * bits.set(3)
 * bits.get(3) // true
 * bits.count() // 1
 * ```
 */
export class Bitfield {
  #bytes: Uint8Array
  #length: number
  /** Set bits, or -1 until counted (after the bytes were replaced). */
  #count: number

  /**
   * @param length the number of bits, or bytes to use as they are (not copied; every bit counts)
   * @param bytes with a `length`: bits to copy (those past `length` are ignored)
   */
  constructor(length: number | Uint8Array = 0, bytes?: Uint8Array) {
    if (typeof length !== 'number') {
      this.#bytes = length
      this.#length = length.length * 8
      this.#count = -1
      return
    }
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`expected a bit count, got ${length}`)
    this.#length = length
    this.#bytes = new Uint8Array(Math.ceil(length / 8))
    this.#count = 0
    if (bytes) {
      this.#bytes.set(bytes.subarray(0, this.#bytes.length))
      this.#clearSpare()
      this.#count = -1
    }
  }

  /** Number of bits. */
  get length(): number {
    return this.#length
  }

  /** The bytes, in wire order. */
  get buffer(): Uint8Array {
    return this.#bytes
  }

  /** Replaces the bytes (used as they are; `length` becomes every bit of them). */
  set buffer(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#length = bytes.length * 8
    this.#count = -1
  }

  /** Whether bit `i` is set (false outside the range). */
  get(i: number): boolean {
    const byte = i >> 3
    return i >= 0 && byte < this.#bytes.length && (this.#bytes[byte]! & (0x80 >> (i & 7))) !== 0
  }

  /** Sets (or clears, with `value = false`) bit `i`; setting one past the end grows the bitfield. */
  set(i: number, value = true): void {
    if (!Number.isInteger(i) || i < 0) throw new RangeError(`expected a bit index, got ${i}`)
    if (i >= this.#length) {
      if (!value) return
      this.#grow(i + 1)
    }
    const byte = i >> 3
    const mask = 0x80 >> (i & 7)
    const had = (this.#bytes[byte]! & mask) !== 0
    if (value === had) return
    if (value) this.#bytes[byte]! |= mask
    else this.#bytes[byte]! &= ~mask
    if (this.#count >= 0) this.#count += value ? 1 : -1
  }

  /** Sets the first `n` bits and clears the others. */
  setAll(n: number): void {
    const bytes = new Uint8Array(Math.max(this.#bytes.length, Math.ceil(n / 8)))
    bytes.fill(0xff, 0, n >> 3)
    if (n & 7) bytes[n >> 3] = (0xff00 >> (n & 7)) & 0xff
    this.#bytes = bytes
    this.#length = Math.max(this.#length, n)
    this.#count = n
  }

  /** Sets every bit. */
  fill(): void {
    this.setAll(this.#length)
  }

  /** Number of set bits. */
  count(): number {
    if (this.#count < 0) {
      let c = 0
      for (const b of this.#bytes) {
        let x = b
        while (x) {
          x &= x - 1
          c++
        }
      }
      this.#count = c
    }
    return this.#count
  }

  /** Whether every bit is set. */
  full(): boolean {
    return this.count() === this.#length
  }

  /** Whether the first `n` bits are all set. */
  hasAll(n: number): boolean {
    for (let i = 0; i < n >> 3; i++) if (this.#bytes[i] !== 0xff) return false
    for (let i = n & ~7; i < n; i++) if (!this.get(i)) return false
    return true
  }

  /** Indexes of the set bits. */
  *ones(): IterableIterator<number> {
    for (let i = 0; i < this.#length; i++) if (this.get(i)) yield i
  }

  #grow(length: number): void {
    const need = Math.ceil(length / 8)
    if (need > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.#bytes.length * 2))
      grown.set(this.#bytes)
      this.#bytes = grown
    }
    this.#length = length
  }

  #clearSpare(): void {
    if (this.#length & 7) this.#bytes[this.#bytes.length - 1]! &= (0xff00 >> (this.#length & 7)) & 0xff
  }
}
