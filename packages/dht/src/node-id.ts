/** Length of a node id, info hash or BEP 44 target (SHA-1). */
export const ID_LENGTH = 20

/** Lowercase hex of an id (map keys, logs). */
export function idHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex')
}

/** Parses 40 hex characters into a 20-byte id; `undefined` for anything else. */
export function idFromHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) return undefined
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/** Compares the XOR distances of `a` and `b` to `target`: negative when `a` is closer. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da - db
  }
  return 0
}

/** Number of leading bits `a` and `b` share (160 when equal). */
export function commonPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < ID_LENGTH; i++) {
    const x = a[i]! ^ b[i]!
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return ID_LENGTH * 8
}

/**
 * A random id sharing the first `prefixBits` bits with `base` and differing at bit `prefixBits`
 * (the id a bucket refresh looks up), from `random` bytes.
 */
export function randomIdInBucket(base: Uint8Array, prefixBits: number, random: Uint8Array): Uint8Array {
  const id = new Uint8Array(random.subarray(0, ID_LENGTH))
  if (prefixBits >= ID_LENGTH * 8) return new Uint8Array(base)
  const whole = prefixBits >> 3
  id.set(base.subarray(0, whole))
  const bit = prefixBits & 7
  const keep = (0xff00 >> bit) & 0xff
  const flip = 0x80 >> bit
  id[whole] = (base[whole]! & keep) | (~base[whole]! & flip) | (id[whole]! & ~keep & ~flip & 0xff)
  return id
}
