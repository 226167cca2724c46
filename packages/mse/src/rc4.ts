import { MseError } from './errors.js'

/** Keystream bytes MSE throws away before the first byte it uses (spec: "The first 1024 bytes of the RC4 output are discarded"). */
export const MSE_RC4_DISCARD = 1024

/** Size of the chunk {@link Rc4} uses to skip keystream. */
const SKIP_CHUNK = 1024

/**
 * RC4 (ARC4) keystream cipher. Encryption and decryption are the same operation: {@link Rc4.update}
 * XORs the keystream into bytes, in place or into another buffer, continuing the stream across calls.
 *
 * @example
 * ```ts
 * const rc4 = new Rc4(new TextEncoder().encode('Key'), 0)
 * const data = new TextEncoder().encode('Plaintext')
 * rc4.update(data) // data is now bb f3 16 e8 d9 40 af 0a d3
 * ```
 */
export class Rc4 {
  readonly #s = new Uint8Array(256)
  #i = 0
  #j = 0

  /**
   * @param key 1 to 256 key bytes
   * @param discard keystream bytes to skip first (MSE: {@link MSE_RC4_DISCARD}, the default)
   * @throws {MseError} `MSE_INVALID_ARGUMENT` for an empty or over-long key or a negative discard
   */
  constructor(key: Uint8Array, discard = MSE_RC4_DISCARD) {
    if (key.length < 1 || key.length > 256) {
      throw new MseError('MSE_INVALID_ARGUMENT', `expected a 1..256-byte RC4 key, got ${key.length} bytes`)
    }
    if (!Number.isInteger(discard) || discard < 0) {
      throw new MseError('MSE_INVALID_ARGUMENT', `expected a discard count >= 0, got ${discard}`)
    }
    const s = this.#s
    for (let i = 0; i < 256; i++) s[i] = i
    let j = 0
    const n = key.length
    for (let i = 0; i < 256; i++) {
      const si = s[i]!
      j = (j + si + key[i % n]!) & 255
      s[i] = s[j]!
      s[j] = si
    }
    const skip = new Uint8Array(Math.min(discard, SKIP_CHUNK))
    for (let left = discard; left > 0; left -= skip.length) {
      this.update(skip.subarray(0, Math.min(left, skip.length)))
    }
  }

  /**
   * XORs the next `src.length` keystream bytes into `src` and writes the result to `dst` (default:
   * `src` itself, in place). Allocates nothing.
   *
   * @param dst at least `src.length` bytes; may be `src`
   * @returns `dst`
   */
  update<T extends Uint8Array>(src: Uint8Array, dst: T = src as T): T {
    const s = this.#s
    let i = this.#i
    let j = this.#j
    const n = src.length
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255
      const si = s[i]!
      j = (j + si) & 255
      const sj = s[j]!
      s[i] = sj
      s[j] = si
      dst[k] = src[k]! ^ s[(si + sj) & 255]!
    }
    this.#i = i
    this.#j = j
    return dst
  }
}
