import { PEER_ID_LENGTH } from '@p2p/peer-address'
import { TrackerServerError } from './errors.js'
import { hexValue, printable } from './http-query.js'
import type { AnnounceEvent } from './peer-store.js'

/** Length of an info hash on the wire. */
export const INFO_HASH_LENGTH = 20

/** An announce after protocol decoding, before policy and the store. */
export interface AnnounceRequest {
  infoHash: Buffer
  peerId: Buffer
  port: number
  /** Bytes left; only "zero or not" matters to the tracker. */
  left: bigint
  uploaded: bigint
  downloaded: bigint
  event: AnnounceEvent
  /** Requested peer count, undefined for "the default". */
  numwant: number | undefined
  /** BEP 15 / BEP 3 `key` (an identity across IP changes), normalised by {@link normalizeKey}, when given. */
  key: string | undefined
}

/** Fails with a `failure reason` text; never thrown past the server. */
export function refuse(code: TrackerServerError['code'], message: string): never {
  throw new TrackerServerError(code, message)
}

/** Checks an info hash's length. */
export function checkInfoHash(hash: Buffer | undefined): Buffer {
  if (!hash) refuse('TRACKER_SERVER_MISSING_FIELD', 'missing info_hash')
  if (hash.length !== INFO_HASH_LENGTH) {
    refuse('TRACKER_SERVER_BAD_FIELD', `info_hash must be ${INFO_HASH_LENGTH} bytes, got ${hash.length}`)
  }
  return hash
}

/** Checks a peer id's length. */
export function checkPeerId(id: Buffer | undefined): Buffer {
  if (!id) refuse('TRACKER_SERVER_MISSING_FIELD', 'missing peer_id')
  if (id.length !== PEER_ID_LENGTH) {
    refuse('TRACKER_SERVER_BAD_FIELD', `peer_id must be ${PEER_ID_LENGTH} bytes, got ${id.length}`)
  }
  return id
}

/** Checks a listening port: 1..65535. */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    refuse('TRACKER_SERVER_BAD_PORT', `port must be in 1..65535, got ${port}`)
  }
  return port
}

const EVENTS: Record<string, AnnounceEvent> = {
  '': 'none',
  empty: 'none',
  paused: 'none', // BEP 21: a partial seed; counted like a regular announce
  started: 'started',
  completed: 'completed',
  stopped: 'stopped',
}

/** Maps an HTTP `event` value. */
export function parseEvent(text: string | undefined): AnnounceEvent {
  if (text === undefined) return 'none'
  const event = EVENTS[text]
  if (!event) refuse('TRACKER_SERVER_BAD_EVENT', `unknown event ${JSON.stringify(printable(text))}`)
  return event
}

const UINT64_MAX = 2n ** 64n - 1n

/** A decimal unsigned integer field (`left`, `uploaded`...), at most 2^64-1. */
export function parseCount(text: string | undefined, name: string): bigint | undefined {
  if (text === undefined) return undefined
  if (!/^\d{1,20}$/.test(text)) {
    const what = text.startsWith('-') ? 'must not be negative' : 'must be a decimal integer'
    refuse('TRACKER_SERVER_BAD_FIELD', `${name} ${what}, got ${JSON.stringify(printable(text))}`)
  }
  const n = BigInt(text)
  if (n > UINT64_MAX) refuse('TRACKER_SERVER_BAD_FIELD', `${name} is larger than 2^64-1`)
  return n
}

/** Longest HTTP `key` accepted, bytes. */
export const MAX_KEY_LENGTH = 64

/**
 * The store's form of an announce `key`: a 32-bit number (the UDP field, or an HTTP key of 1 to 8 hex
 * digits, as libtorrent and most clients send it) becomes lower-case hex without leading zeros, so the
 * same key matches over HTTP and UDP; any other HTTP key is kept as its bytes (latin1). An empty key is
 * no key.
 *
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_FIELD` for an HTTP key longer than {@link MAX_KEY_LENGTH}.
 */
export function normalizeKey(key: number | Buffer | undefined): string | undefined {
  if (key === undefined) return undefined
  if (typeof key === 'number') return (key >>> 0).toString(16)
  if (key.length === 0) return undefined
  if (key.length > MAX_KEY_LENGTH)
    refuse('TRACKER_SERVER_BAD_FIELD', `key is longer than ${MAX_KEY_LENGTH} bytes`)
  if (key.length <= 8) {
    let n = 0
    let i = 0
    for (; i < key.length; i++) {
      const c = key[i]!
      const d = hexValue(c)
      if (d < 0) break
      n = n * 16 + d
    }
    if (i === key.length) return n.toString(16)
  }
  return key.toString('latin1')
}
