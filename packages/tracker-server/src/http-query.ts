import { TrackerServerError } from './errors.js'

/** Most `key=value` pairs read from one query string; the rest is ignored. */
export const MAX_QUERY_PAIRS = 256

/**
 * Splits a raw query string into keys and binary values, percent-decoding byte by byte (info hashes and
 * peer ids are binary, so the query cannot be read as UTF-8). Repeated keys keep every value in order.
 *
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_FIELD` on a malformed percent-escape.
 */
export function parseQuery(query: string, maxPairs = MAX_QUERY_PAIRS): Map<string, Buffer[]> {
  const out = new Map<string, Buffer[]>()
  if (query === '') return out
  let pairs = 0
  for (const part of query.split('&', maxPairs)) {
    if (part === '') continue
    if (++pairs > maxPairs) break
    const eq = part.indexOf('=')
    const rawKey = eq < 0 ? part : part.slice(0, eq)
    const key = decodeComponent(rawKey, rawKey).toString('latin1')
    const value = eq < 0 ? Buffer.alloc(0) : decodeComponent(part.slice(eq + 1), key)
    const list = out.get(key)
    if (list) list.push(value)
    else out.set(key, [value])
  }
  return out
}

/** Announce fields read as bytes (binary or opaque). */
const BINARY_FIELDS = ['info_hash', 'peer_id', 'key'] as const
/** Announce fields read as text. */
const TEXT_FIELDS = [
  'port',
  'left',
  'uploaded',
  'downloaded',
  'event',
  'numwant',
  'compact',
  'no_peer_id',
  'ip',
  'ipv4',
  'ipv6',
] as const

/**
 * The announce fields the tracker reads, raw (the first value of a repeated key): `info_hash`, `peer_id`
 * and `key` as bytes, the others as latin1 text.
 */
export type AnnounceFields = { [K in (typeof BINARY_FIELDS)[number]]?: Buffer } & {
  [K in (typeof TEXT_FIELDS)[number]]?: string
}

/** Every announce field, binary ones first (their index is below {@link BINARY_COUNT}). */
const FIELDS: readonly string[] = [...BINARY_FIELDS, ...TEXT_FIELDS]
const BINARY_COUNT = BINARY_FIELDS.length

/** Index in {@link FIELDS} of the name `query[start, end)`, or -1: compared in place, no string made. */
function fieldAt(query: string, start: number, end: number): number {
  const len = end - start
  for (let k = 0; k < FIELDS.length; k++) {
    const f = FIELDS[k]!
    if (f.length === len && query.startsWith(f, start)) return k
  }
  return -1
}

/** Whether `query[start, end)` holds a percent-escape or a `+`. */
function escaped(query: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = query.charCodeAt(i)
    if (c === 0x25 || c === 0x2b) return true
  }
  return false
}

/**
 * Reads an announce query in one pass over the raw string: only the known fields, percent-decoding
 * `info_hash` / `peer_id` / `key` straight into bytes; other keys are skipped without decoding. Same
 * results as {@link parseQuery} for those fields (first value wins), without a map of buffers: names are
 * matched in place and the answer has one fixed shape (the hot path of every HTTP announce).
 *
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_FIELD` on a malformed percent-escape in a field it reads.
 */
export function parseAnnounceQuery(query: string, maxPairs = MAX_QUERY_PAIRS): AnnounceFields {
  const v = FIELDS.map((): Buffer | string | undefined => undefined)
  const n = query.length
  let pairs = 0
  let i = 0
  while (i < n) {
    let amp = query.indexOf('&', i)
    if (amp < 0) amp = n
    if (amp > i) {
      if (++pairs > maxPairs) break
      let eq = query.indexOf('=', i)
      if (eq < 0 || eq > amp) eq = amp
      const k = escaped(query, i, eq)
        ? FIELDS.indexOf(decodeRange(query, i, eq, query.slice(i, eq)).toString('latin1'))
        : fieldAt(query, i, eq)
      if (k >= 0 && v[k] === undefined) {
        const from = Math.min(eq + 1, amp)
        if (k < BINARY_COUNT) v[k] = decodeRange(query, from, amp, FIELDS[k]!)
        else
          v[k] = escaped(query, from, amp)
            ? decodeRange(query, from, amp, FIELDS[k]!).toString('latin1')
            : query.slice(from, amp)
      }
    }
    i = amp + 1
  }
  // In FIELDS order (BINARY_FIELDS, then TEXT_FIELDS); the parser property test checks every field.
  return {
    info_hash: v[0] as Buffer | undefined,
    peer_id: v[1] as Buffer | undefined,
    key: v[2] as Buffer | undefined,
    port: v[3] as string | undefined,
    left: v[4] as string | undefined,
    uploaded: v[5] as string | undefined,
    downloaded: v[6] as string | undefined,
    event: v[7] as string | undefined,
    numwant: v[8] as string | undefined,
    compact: v[9] as string | undefined,
    no_peer_id: v[10] as string | undefined,
    ip: v[11] as string | undefined,
    ipv4: v[12] as string | undefined,
    ipv6: v[13] as string | undefined,
  }
}

/** Values of the ASCII hex digits by character code; -1 for every other byte. */
const HEX = new Int8Array(256).fill(-1)
for (let d = 0; d < 16; d++) {
  HEX['0123456789abcdef'.charCodeAt(d)] = d
  HEX['0123456789ABCDEF'.charCodeAt(d)] = d
}

/** Value 0..15 of an ASCII hex digit, or -1. */
export function hexValue(c: number): number {
  return HEX[c] ?? -1
}

function decodeComponent(text: string, name: string): Buffer {
  return decodeRange(text, 0, text.length, name)
}

/** Percent-decodes `text[start, end)` (`+` is a space) into a buffer of exactly its decoded length. */
function decodeRange(text: string, start: number, end: number, name: string): Buffer {
  let escapes = 0
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 0x25) escapes++
  const out = Buffer.allocUnsafe(Math.max(0, end - start - 2 * escapes))
  let n = 0
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x25) {
      const hi = i + 2 < end ? hexValue(text.charCodeAt(i + 1)) : -1
      const lo = i + 2 < end ? hexValue(text.charCodeAt(i + 2)) : -1
      if (hi < 0 || lo < 0) {
        throw new TrackerServerError(
          'TRACKER_SERVER_BAD_FIELD',
          `invalid percent-encoding in ${printable(name)}`,
        )
      }
      out[n++] = (hi << 4) | lo
      i += 2
    } else out[n++] = c === 0x2b ? 0x20 : c & 0xff
  }
  return out
}

/** A short printable rendering of a field name for error messages. */
export function printable(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean
}
