import { HANDSHAKE_LENGTH, PROTOCOL, ReservedBit } from './constants.js'
import { PeerWireError } from './errors.js'

/** The fields of a BitTorrent handshake (BEP 3) with its reserved bits decoded. */
export interface Handshake {
  /** 20 bytes: the v1 info hash, or the v2 info hash truncated to 20 bytes (BEP 52). */
  infoHash: Uint8Array
  /** 20 bytes. */
  peerId: Uint8Array
  /** Fast extension bit (BEP 6). */
  fast: boolean
  /** Extension protocol bit (BEP 10). */
  extended: boolean
  /** DHT bit (BEP 5). */
  dht: boolean
  /** v2 upgrade bit for hybrid torrents (BEP 52). */
  v2Upgrade: boolean
  /** The 8 reserved bytes as received. */
  reserved: Uint8Array
}

const protocolBytes = new TextEncoder().encode(PROTOCOL)

/**
 * Encodes a handshake (68 bytes).
 *
 * @example
 * ```ts
 * const bytes = encodeHandshake({ infoHash, peerId, fast: true, extended: true })
 * ```
 */
export function encodeHandshake(h: {
  infoHash: Uint8Array
  peerId: Uint8Array
  fast?: boolean
  extended?: boolean
  dht?: boolean
  v2Upgrade?: boolean
}): Uint8Array {
  if (h.infoHash.length !== 20) throw new RangeError(`expected a 20-byte info hash, got ${h.infoHash.length}`)
  if (h.peerId.length !== 20) throw new RangeError(`expected a 20-byte peer id, got ${h.peerId.length}`)
  const out = new Uint8Array(HANDSHAKE_LENGTH)
  out[0] = protocolBytes.length
  out.set(protocolBytes, 1)
  const reserved = out.subarray(20, 28)
  if (h.extended) reserved[ReservedBit.extended.byte]! |= ReservedBit.extended.mask
  if (h.fast) reserved[ReservedBit.fast.byte]! |= ReservedBit.fast.mask
  if (h.dht) reserved[ReservedBit.dht.byte]! |= ReservedBit.dht.mask
  if (h.v2Upgrade) reserved[ReservedBit.v2Upgrade.byte]! |= ReservedBit.v2Upgrade.mask
  out.set(h.infoHash, 28)
  out.set(h.peerId, 48)
  return out
}

/**
 * Checks the first bytes of a handshake as soon as they arrive, so a non-BitTorrent peer is refused
 * without waiting for 68 bytes.
 *
 * @throws {PeerWireError} `PEER_WIRE_BAD_HANDSHAKE`.
 */
export function checkHandshakePrefix(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, 1 + protocolBytes.length)
  for (let i = 0; i < n; i++) {
    const want = i === 0 ? protocolBytes.length : protocolBytes[i - 1]
    if (bytes[i] !== want) {
      throw new PeerWireError(
        'PEER_WIRE_BAD_HANDSHAKE',
        `not a BitTorrent handshake (byte ${i} is ${bytes[i]})`,
      )
    }
  }
}

/**
 * Decodes a 68-byte handshake.
 *
 * @throws {PeerWireError} `PEER_WIRE_BAD_HANDSHAKE` when it is not one.
 */
export function decodeHandshake(bytes: Uint8Array): Handshake {
  if (bytes.length !== HANDSHAKE_LENGTH) {
    throw new PeerWireError(
      'PEER_WIRE_BAD_HANDSHAKE',
      `handshake must be ${HANDSHAKE_LENGTH} bytes, got ${bytes.length}`,
    )
  }
  checkHandshakePrefix(bytes)
  const reserved = bytes.slice(20, 28)
  const bit = (b: { byte: number; mask: number }) => (reserved[b.byte]! & b.mask) !== 0
  return {
    infoHash: bytes.slice(28, 48),
    peerId: bytes.slice(48, 68),
    fast: bit(ReservedBit.fast),
    extended: bit(ReservedBit.extended),
    dht: bit(ReservedBit.dht),
    v2Upgrade: bit(ReservedBit.v2Upgrade),
    reserved,
  }
}
