import { randomBytes } from 'node:crypto'
import { PeerAddressError } from './errors.js'

/** Length of a BitTorrent peer id. */
export const PEER_ID_LENGTH = 20

/** Our Azureus-style client code (`-P2` + version digits + `-`). */
export const DEFAULT_PEER_ID_PREFIX = '-P20010-'

/**
 * Makes a random 20-byte peer id with an Azureus-style prefix (`-P20010-` + 12 random bytes), the
 * form libtorrent, Transmission and aria2 use.
 *
 * @example
 * ```ts
 * generatePeerId()            // -P20010-<12 random bytes>
 * generatePeerId('-XX0100-')  // your own client code
 * ```
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_PEER_ID` when the prefix is longer than 20 bytes.
 */
export function generatePeerId(prefix: string = DEFAULT_PEER_ID_PREFIX): Uint8Array {
  const head = new TextEncoder().encode(prefix)
  if (head.length > PEER_ID_LENGTH) {
    throw new PeerAddressError(
      'PEER_ADDRESS_INVALID_PEER_ID',
      `peer id prefix longer than ${PEER_ID_LENGTH} bytes`,
    )
  }
  const id = new Uint8Array(PEER_ID_LENGTH)
  id.set(head)
  id.set(randomBytes(PEER_ID_LENGTH - head.length), head.length)
  return id
}

/** What a peer id says about the client that made it. */
export interface PeerIdInfo {
  /** The two-letter client code (`lt` libtorrent, `TR` Transmission, `A2` aria2, `qB`, `P2` ours...), if recognised. */
  client?: string
  /** The version digits of the prefix, if any. */
  version?: string
}

/**
 * Reads the client code from an Azureus-style peer id (`-XXvvvv-...`) or aria2's `A2-v-v-v-`.
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_PEER_ID` when `id` is not 20 bytes.
 */
export function parsePeerId(id: Uint8Array): PeerIdInfo {
  if (id.length !== PEER_ID_LENGTH) {
    throw new PeerAddressError(
      'PEER_ADDRESS_INVALID_PEER_ID',
      `expected a ${PEER_ID_LENGTH}-byte peer id, got ${id.length}`,
    )
  }
  const text = String.fromCharCode(...id.subarray(0, 8))
  const az = /^-([A-Za-z0-9]{2})([A-Za-z0-9]{4})-$/.exec(text)
  if (az) return { client: az[1]!, version: az[2]! }
  const a2 = /^A2-(\d+)-(\d+)-(\d+)-/.exec(String.fromCharCode(...id))
  if (a2) return { client: 'A2', version: `${a2[1]}.${a2[2]}.${a2[3]}` }
  return {}
}
