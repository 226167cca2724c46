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

const FIELD_KIND = new Map<string, 'b' | 't'>([
  ...BINARY_FIELDS.map((k) => [k, 'b'] as const),
  ...TEXT_FIELDS.map((k) => [k, 't'] as const),
])

/**
 * Reads an announce query in one pass over the raw string: only the known fields, percent-decoding
 * `info_hash` / `peer_id` / `key` straight into bytes; other keys are skipped without decoding. Same
 * results as {@link parseQuery} for those fields (first value wins), without a map of buffers.
 *
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_FIELD` on a malformed percent-escape in a field it reads.
 */
export function parseAnnounceQuery(query: string, maxPairs = MAX_QUERY_PAIRS): AnnounceFields {
  const out: Record<string, Buffer | string> = {}
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
      let name = query.slice(i, eq)
      if (name.includes('%') || name.includes('+')) name = decodeComponent(name, name).toString('latin1')
      const kind = FIELD_KIND.get(name)
      if (kind !== undefined && out[name] === undefined) {
        const value = eq < amp ? query.slice(eq + 1, amp) : ''
        if (kind === 'b') out[name] = decodeComponent(value, name)
        else
          out[name] =
            value.includes('%') || value.includes('+')
              ? decodeComponent(value, name).toString('latin1')
              : value
      }
    }
    i = amp + 1
  }
  return out as AnnounceFields
}

/** Value 0..15 of an ASCII hex digit, or -1. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

function decodeComponent(text: string, name: string): Buffer {
  if (text.indexOf('%') < 0 && text.indexOf('+') < 0) return Buffer.from(text, 'latin1')
  const out = Buffer.allocUnsafe(text.length)
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x25) {
      const hi = hexValue(text.charCodeAt(i + 1))
      const lo = hexValue(text.charCodeAt(i + 2))
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
  return out.subarray(0, n)
}

/** A short printable rendering of a field name for error messages. */
export function printable(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean
}
