/**
 * A piece bitfield in wire order (BEP 3: the high bit of byte 0 is piece 0). Grows as needed when
 * the piece count is not known yet.
 *
 * @example
 * ```ts
 * const bits = new BitField(10)
 * bits.set(3)
 * bits.get(3) // true
 * ```
 */
export class BitField {
  /** The bytes, in wire order. */
  buffer: Uint8Array
  #count = -1

  /** @param lengthOrBytes a number of bits, or bytes to use as they are (not copied) */
  constructor(lengthOrBytes: number | Uint8Array = 0) {
    this.buffer =
      typeof lengthOrBytes === 'number' ? new Uint8Array(Math.ceil(lengthOrBytes / 8)) : lengthOrBytes
  }

  /** Whether bit `i` is set. */
  get(i: number): boolean {
    const byte = i >> 3
    return byte < this.buffer.length && (this.buffer[byte]! & (0x80 >> (i & 7))) !== 0
  }

  /** Sets (or clears, with `value = false`) bit `i`. */
  set(i: number, value = true): void {
    const byte = i >> 3
    if (byte >= this.buffer.length) {
      if (!value) return
      const grown = new Uint8Array(Math.max(byte + 1, this.buffer.length * 2))
      grown.set(this.buffer)
      this.buffer = grown
    }
    if (value) this.buffer[byte]! |= 0x80 >> (i & 7)
    else this.buffer[byte]! &= ~(0x80 >> (i & 7))
    this.#count = -1
  }

  /** Sets the first `n` bits. */
  setAll(n: number): void {
    const bytes = new Uint8Array(Math.max(this.buffer.length, Math.ceil(n / 8)))
    bytes.fill(0xff, 0, n >> 3)
    if (n & 7) bytes[n >> 3] = (0xff00 >> (n & 7)) & 0xff
    this.buffer = bytes
    this.#count = -1
  }

  /** Number of set bits. */
  count(): number {
    if (this.#count < 0) {
      let c = 0
      for (const b of this.buffer) {
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

  /** Whether the first `n` bits are all set. */
  hasAll(n: number): boolean {
    for (let i = 0; i < n >> 3; i++) if (this.buffer[i] !== 0xff) return false
    for (let i = n & ~7; i < n; i++) if (!this.get(i)) return false
    return true
  }
}
