import { PEER_ID_LENGTH } from '@p2p/peer-address'
import { TrackerClientError } from './errors.js'
import type { AnnounceEvent, AnnounceParams } from './types.js'

/** Length of an info hash on the wire (a v2 hash is truncated to it). */
export const INFO_HASH_LENGTH = 20

/** Default time allowed for one request, ms. */
export const DEFAULT_TIMEOUT_MS = 30_000
/** Default bound on a response body or datagram, bytes. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
/** Default bound on the peers kept from one response. */
export const DEFAULT_MAX_PEERS = 2000

const UINT64_MAX = 2n ** 64n - 1n

/** Checks the parts of {@link AnnounceParams} every protocol needs, with "expected X, got Y" messages. */
export function checkAnnounceParams(params: AnnounceParams): void {
  checkHash(params.infoHash, 'infoHash')
  if (!(params.peerId instanceof Uint8Array) || params.peerId.length !== PEER_ID_LENGTH) {
    throw invalid(`expected a ${PEER_ID_LENGTH}-byte peerId, got ${describe(params.peerId)}`)
  }
  if (!Number.isInteger(params.port) || params.port < 1 || params.port > 65535) {
    throw invalid(`expected a port in 1..65535, got ${params.port}`)
  }
  for (const name of ['uploaded', 'downloaded', 'left'] as const) byteCount(params[name], name)
  if (params.numwant !== undefined && (!Number.isInteger(params.numwant) || params.numwant < 0)) {
    throw invalid(`expected numwant to be a non-negative integer, got ${params.numwant}`)
  }
  if (
    params.key !== undefined &&
    (!Number.isInteger(params.key) || params.key < 0 || params.key > 0xffffffff)
  ) {
    throw invalid(`expected key to be a 32-bit unsigned integer, got ${params.key}`)
  }
  const events: readonly (AnnounceEvent | undefined)[] = [
    undefined,
    'none',
    'started',
    'completed',
    'stopped',
  ]
  if (!events.includes(params.event)) throw invalid(`unknown event ${JSON.stringify(params.event)}`)
}

/** Checks one 20-byte info hash. */
export function checkHash(hash: unknown, name: string): asserts hash is Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length !== INFO_HASH_LENGTH) {
    throw invalid(`expected a ${INFO_HASH_LENGTH}-byte ${name}, got ${describe(hash)}`)
  }
}

/** A byte count as a bigint in the unsigned 64-bit range (0 when absent). */
export function byteCount(value: number | bigint | undefined, name: string): bigint {
  if (value === undefined) return 0n
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw invalid(`expected ${name} to be an integer, got ${value}`)
  }
  const big = BigInt(value)
  if (big < 0n || big > UINT64_MAX) throw invalid(`expected ${name} in 0..2^64-1, got ${value}`)
  return big
}

function invalid(message: string): TrackerClientError {
  return new TrackerClientError('TRACKER_INVALID_PARAMS', message)
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`
  return value === null ? 'null' : typeof value
}
