import { type BencodeDict, type BencodeValue, rawBytes } from '@p2p/bencode'

const lenient = new TextDecoder('utf-8')

function skipValue(b: Uint8Array, i: number): number {
  const c = b[i]
  if (c === 0x69) {
    while (b[i] !== 0x65) i++
    return i + 1
  }
  if (c === 0x6c || c === 0x64) {
    i++
    while (b[i] !== 0x65) {
      if (c === 0x64) i = skipValue(b, i)
      i = skipValue(b, i)
    }
    return i + 1
  }
  let n = 0
  while (b[i] !== 0x3a) n = n * 10 + (b[i++]! - 0x30)
  return i + 1 + n
}

/**
 * @internal The entries of a dictionary decoded with spans, in file order with raw key bytes
 * (object key order differs for integer-like keys, and binary keys are lossy as text).
 * Recursion in {@link skipValue} is bounded by the decoder's depth limit.
 */
export function rawEntries(dict: BencodeDict): [Uint8Array, BencodeValue][] {
  const raw = rawBytes(dict)
  if (!raw) return Object.keys(dict).map((k) => [new TextEncoder().encode(k), dict[k]!])
  const out: [Uint8Array, BencodeValue][] = []
  let i = 1
  while (i < raw.length && raw[i] !== 0x65) {
    let j = i
    let n = 0
    while (raw[j] !== 0x3a) n = n * 10 + (raw[j++]! - 0x30)
    const key = raw.subarray(j + 1, j + 1 + n)
    i = skipValue(raw, j + 1 + n)
    const value = dict[lenient.decode(key)]
    if (value !== undefined) out.push([key, value])
  }
  return out
}
