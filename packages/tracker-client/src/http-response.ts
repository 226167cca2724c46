import { type BencodeDict, type BencodeValue, decode, rawSpan, toText } from '@p2p/bencode'
import { toHex } from '@p2p/bytes'
import { TrackerClientError } from './errors.js'
import { PeerCollector } from './peer-list.js'
import type { AnnounceResponse, ScrapeResponse, ScrapeStats } from './types.js'

/** Interval assumed when a tracker leaves it out (seconds); BEP 3 makes it mandatory, some omit it. */
export const DEFAULT_INTERVAL_S = 1800

/** Nesting a tracker response needs (response > files > stats), with room for extensions. */
const MAX_DEPTH = 16

/**
 * Decodes a bencoded tracker body into a dictionary, turning `failure reason` into
 * `TRACKER_FAILURE_REASON` and anything that is not bencode (HTML error pages...) into `TRACKER_BAD_RESPONSE`.
 */
export function decodeTrackerBody(body: Uint8Array, url: string, spans = false): BencodeDict {
  let value: BencodeValue
  try {
    // Trackers in the wild do not always sort keys: read leniently, but bounded.
    value = decode(body, { strict: false, maxDepth: MAX_DEPTH, spans })
  } catch (cause) {
    throw new TrackerClientError(
      'TRACKER_BAD_RESPONSE',
      `tracker response is not bencode: ${preview(body)}`,
      {
        url,
        cause,
      },
    )
  }
  if (!isDict(value)) {
    throw new TrackerClientError('TRACKER_BAD_RESPONSE', 'tracker response is not a dictionary', { url })
  }
  const failure = value['failure reason']
  if (failure !== undefined) {
    const reason = toText(failure) ?? String(failure)
    throw new TrackerClientError('TRACKER_FAILURE_REASON', `tracker failure: ${reason}`, { url })
  }
  return value
}

/** Reads an HTTP announce response (BEP 3, 23, 7). */
export function parseAnnounceBody(body: Uint8Array, url: string, maxPeers: number): AnnounceResponse {
  const dict = decodeTrackerBody(body, url)
  if (dict.peers === undefined && dict.peers6 === undefined && dict.interval === undefined) {
    throw new TrackerClientError('TRACKER_BAD_RESPONSE', 'tracker response has neither peers nor interval', {
      url,
    })
  }
  const collector = new PeerCollector(maxPeers)
  const peers = dict.peers
  if (peers instanceof Uint8Array) collector.addCompact(peers, 4)
  else if (Array.isArray(peers)) {
    for (const entry of peers) {
      if (collector.full) break
      if (isDict(entry)) collector.addDict(toText(entry.ip), entry.port)
    }
  }
  if (dict.peers6 instanceof Uint8Array) collector.addCompact(dict.peers6, 6)
  return {
    interval: count(dict.interval) ?? DEFAULT_INTERVAL_S,
    minInterval: count(dict['min interval']),
    complete: count(dict.complete),
    incomplete: count(dict.incomplete),
    peers: collector.peers,
    trackerId: toText(dict['tracker id']),
    warning: toText(dict['warning message']),
  }
}

/**
 * Reads an HTTP scrape response (BEP 48). `files` is keyed by raw 20-byte info hashes, which are not
 * text: the key bytes are read from the input just before each value (decoded with spans).
 */
export function parseScrapeBody(body: Uint8Array, url: string, wanted: ReadonlySet<string>): ScrapeResponse {
  const dict = decodeTrackerBody(body, url, true)
  const files = dict.files
  if (!isDict(files)) {
    throw new TrackerClientError('TRACKER_BAD_RESPONSE', 'scrape response has no files dictionary', { url })
  }
  const out = new Map<string, ScrapeStats>()
  for (const value of Object.values(files)) {
    if (!isDict(value)) continue
    const hex = keyBefore(value)
    if (hex === undefined || !wanted.has(hex)) continue
    out.set(hex, {
      complete: count(value.complete) ?? 0,
      incomplete: count(value.incomplete) ?? 0,
      downloaded: count(value.downloaded) ?? 0,
    })
  }
  return { files: out }
}

/** The hex info hash of the key written just before `value`: `20:<raw>` or, from some trackers, `40:<hex>`. */
function keyBefore(value: BencodeDict): string | undefined {
  const span = rawSpan(value)
  if (!span) return undefined
  const { source, start } = span
  const ascii = (from: number, to: number) =>
    from < 0 ? '' : String.fromCharCode(...source.subarray(from, to))
  if (ascii(start - 23, start - 20) === '20:') return toHex(source.subarray(start - 20, start))
  if (ascii(start - 43, start - 40) === '40:') {
    const hex = ascii(start - 40, start).toLowerCase()
    if (/^[0-9a-f]{40}$/.test(hex)) return hex
  }
  return undefined
}

/** A non-negative safe integer, or undefined for anything else (bigints, negatives, strings). */
function count(value: BencodeValue | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 ? value : undefined
}

function isDict(value: unknown): value is BencodeDict {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  )
}

/** The start of a body for an error message, printable characters only. */
function preview(body: Uint8Array): string {
  const text = Buffer.from(body.subarray(0, 60)).toString('latin1')
  return JSON.stringify(text.replace(/[^\x20-\x7e]/g, '.'))
}
