import { PEER_ID_LENGTH } from '@p2p/peer-address'
import { TrackerServerError } from './errors.js'
import { printable } from './http-query.js'
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
  /** BEP 15 / BEP 3 `key` (an identity across IP changes), when given. */
  key: number | string | undefined
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
