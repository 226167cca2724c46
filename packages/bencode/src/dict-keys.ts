/**
 * Dictionary key text for the decoder, with a small cache of recent keys.
 *
 * Real inputs repeat a handful of keys (`length`, `path`, `peers`, `t`, `y`...) thousands of times.
 * Building a fresh string for each and having V8 internalise it on every property store dominates
 * decoding, so short keys are looked up by their bytes in a fixed-size, direct-mapped table first.
 * The table is bounded (hostile keys only evict each other) and shared by all decode calls.
 */

/** Keys longer than this (e.g. the 32-byte roots of BEP 52 `piece layers`) are never cached. */
const MAX_CACHED_KEY_BYTES = 24
const CACHE_BITS = 12
const CACHE_SIZE = 1 << CACHE_BITS
/** FNV-1a 32-bit parameters. */
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

const cachedLength = new Int32Array(CACHE_SIZE).fill(-1)
const cachedBytes = new Uint8Array(CACHE_SIZE * MAX_CACHED_KEY_BYTES)
const cachedText: string[] = new Array<string>(CACHE_SIZE).fill('')

const utf8 = new TextDecoder('utf-8')

/**
 * The UTF-8 text of the key bytes `bytes[start..end)` (invalid sequences read as U+FFFD, so keys
 * that are not text can share one string: {@link rawEntries} keeps their bytes).
 */
export function keyText(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start
  if (n > MAX_CACHED_KEY_BYTES) return utf8.decode(bytes.subarray(start, end))
  // A cheap hash of the length and three bytes picks the slot; the full comparison below decides.
  let h = FNV_OFFSET ^ n
  if (n > 0) {
    h = Math.imul(h ^ bytes[start]!, FNV_PRIME)
    h = Math.imul(h ^ bytes[start + (n >>> 1)]!, FNV_PRIME)
    h = Math.imul(h ^ bytes[end - 1]!, FNV_PRIME)
  }
  const slot = (h ^ (h >>> CACHE_BITS) ^ (h >>> (2 * CACHE_BITS))) & (CACHE_SIZE - 1)
  const base = slot * MAX_CACHED_KEY_BYTES
  if (cachedLength[slot] === n) {
    let i = 0
    while (i < n && cachedBytes[base + i] === bytes[start + i]) i++
    if (i === n) return cachedText[slot]!
  }
  // Property names come back internalised: later stores with this exact string take V8's fast path.
  const text = Object.keys({ [shortText(bytes, start, end)]: 0 })[0]!
  cachedLength[slot] = n
  cachedBytes.set(bytes.subarray(start, end), base)
  cachedText[slot] = text
  return text
}

/** Text of a short key: ASCII byte by byte (no TextDecoder call), anything else through UTF-8. */
function shortText(bytes: Uint8Array, start: number, end: number): string {
  let s = ''
  for (let i = start; i < end; i++) {
    const c = bytes[i]!
    if (c >= 0x80) return utf8.decode(bytes.subarray(start, end))
    s += String.fromCharCode(c)
  }
  return s
}
