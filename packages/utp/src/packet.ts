import { UtpError } from './errors.js'

/** Packet types of the uTP header (BEP 29 "type"). */
export const PacketType = {
  /** Regular data packet; always carries payload. */
  DATA: 0,
  /** Finalize: the last sequence number of this direction. */
  FIN: 1,
  /** An ack without data; does not consume a sequence number. */
  STATE: 2,
  /** Terminate the connection forcefully. */
  RESET: 3,
  /** Connect: opens a connection. */
  SYN: 4,
} as const

/** One of the {@link PacketType} values. */
export type PacketTypeValue = (typeof PacketType)[keyof typeof PacketType]

/** The only protocol version (BEP 29 "version"). */
export const UTP_VERSION = 1
/** Size of the fixed header in bytes. */
export const HEADER_LENGTH = 20
/** Extension id of the selective ack (BEP 29 "Selective ACK"). */
export const EXTENSION_SACK = 1
/**
 * Extension id carrying the largest datagram its sender reads: libutp's "extension bits" id (8 bytes,
 * which libutp accepts and libtorrent skips; libutp drops packets with an unknown extension id), holding
 * {@link MAX_DATAGRAM_MAGIC} then the size, both big-endian. A peer that sends none is not probed above
 * the default packet size (libtorrent reads into a 1500-byte buffer and would take a truncated datagram
 * for a whole one).
 */
export const EXTENSION_MAX_DATAGRAM = 2
/** First 4 bytes of our {@link EXTENSION_MAX_DATAGRAM} body ("p2pM"), telling it from libutp's bits. */
export const MAX_DATAGRAM_MAGIC = 0x7032704d
/** Extension id (ours) of padding: it makes an MTU probe larger than the data packet it carries. */
export const EXTENSION_PADDING = 0x50

/** A decoded uTP packet. `payload` and `sack` are views into the datagram, not copies. */
export interface UtpPacket {
  type: PacketTypeValue
  connectionId: number
  /** Sender's clock in microseconds, modulo 2^32. */
  timestamp: number
  /** Sender's latest one-way delay sample of our packets, in microseconds. */
  timestampDiff: number
  /** Advertised receive window in bytes. */
  windowSize: number
  seq: number
  ack: number
  /** The selective-ack bitmask: bit i of byte j acks `ack + 2 + 8j + i`. */
  sack?: Uint8Array
  /** The largest datagram the sender reads ({@link EXTENSION_MAX_DATAGRAM}), when it says. */
  maxDatagram?: number
  payload: Uint8Array
}

/**
 * Decodes one datagram. Unknown extensions are skipped; a selective ack must not be empty (any length
 * is read: libtorrent sends masks of 1, 2, 3, 5... bytes, though BEP 29 asks for a multiple of 4).
 *
 * @throws {UtpError} `UTP_PACKET_TOO_SHORT`, `UTP_BAD_VERSION`, `UTP_BAD_TYPE`, `UTP_BAD_EXTENSION`.
 * @example
 * ```ts
 * const p = decodePacket(datagram)
 * if (p.type === PacketType.SYN) accept(p)
 * ```
 */
export function decodePacket(buf: Uint8Array): UtpPacket {
  if (buf.length < HEADER_LENGTH)
    throw new UtpError('UTP_PACKET_TOO_SHORT', `expected >= 20 bytes, got ${buf.length}`)
  const type = buf[0]! >> 4
  const version = buf[0]! & 15
  if (version !== UTP_VERSION) throw new UtpError('UTP_BAD_VERSION', `expected version 1, got ${version}`)
  if (type > PacketType.SYN) throw new UtpError('UTP_BAD_TYPE', `expected type 0..4, got ${type}`)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  let extension = buf[1]!
  let offset = HEADER_LENGTH
  let sack: Uint8Array | undefined
  let maxDatagram: number | undefined
  while (extension !== 0) {
    if (offset + 2 > buf.length) throw new UtpError('UTP_BAD_EXTENSION', 'extension header past the end')
    const next = buf[offset]!
    const len = buf[offset + 1]!
    offset += 2
    if (offset + len > buf.length) throw new UtpError('UTP_BAD_EXTENSION', 'extension body past the end')
    if (extension === EXTENSION_SACK) {
      // BEP 29 asks for 4n bytes, but libtorrent sends (span + 7) / 8: any non-empty mask is read.
      if (len === 0) throw new UtpError('UTP_BAD_EXTENSION', 'expected a non-empty selective ack')
      sack = buf.subarray(offset, offset + len)
    } else if (
      extension === EXTENSION_MAX_DATAGRAM &&
      len === 8 &&
      view.getUint32(offset) === MAX_DATAGRAM_MAGIC
    ) {
      maxDatagram = view.getUint32(offset + 4)
    }
    offset += len
    extension = next
  }
  const packet: UtpPacket = {
    type: type as PacketTypeValue,
    connectionId: view.getUint16(2),
    timestamp: view.getUint32(4),
    timestampDiff: view.getUint32(8),
    windowSize: view.getUint32(12),
    seq: view.getUint16(16),
    ack: view.getUint16(18),
    payload: buf.subarray(offset),
  }
  if (sack) packet.sack = sack
  if (maxDatagram !== undefined) packet.maxDatagram = maxDatagram
  return packet
}

/** The header fields of a packet to encode (timestamps may be rewritten later with {@link stampPacket}). */
export interface PacketHeader {
  type: PacketTypeValue
  connectionId: number
  timestamp: number
  timestampDiff: number
  windowSize: number
  seq: number
  ack: number
}

/** Extension headers to encode. */
export interface PacketExtensions {
  /** Selective-ack bitmask ({@link EXTENSION_SACK}). */
  sack?: Uint8Array | undefined
  /** The largest datagram we read ({@link EXTENSION_MAX_DATAGRAM}). */
  maxDatagram?: number | undefined
}

/**
 * Encodes a packet: the header, the extensions, then `payloadLength` bytes left for the caller to fill
 * (returned as the offset where the payload starts).
 */
export function encodePacket(
  header: PacketHeader,
  payloadLength: number,
  extensions: PacketExtensions = {},
): { bytes: Buffer; payloadOffset: number } {
  const { sack, maxDatagram } = extensions
  const extLength = (sack ? 2 + sack.length : 0) + (maxDatagram !== undefined ? 10 : 0)
  const bytes = Buffer.allocUnsafe(HEADER_LENGTH + extLength + payloadLength)
  bytes[0] = (header.type << 4) | UTP_VERSION
  bytes.writeUInt16BE(header.connectionId, 2)
  stampPacket(bytes, header.timestamp, header.timestampDiff, header.windowSize, header.ack)
  bytes.writeUInt16BE(header.seq, 16)
  let next = 1 // where the id of the next extension goes
  let offset = HEADER_LENGTH
  if (sack) {
    bytes[next] = EXTENSION_SACK
    bytes[offset + 1] = sack.length
    bytes.set(sack, offset + 2)
    next = offset
    offset += 2 + sack.length
  }
  if (maxDatagram !== undefined) {
    bytes[next] = EXTENSION_MAX_DATAGRAM
    bytes[offset + 1] = 8
    bytes.writeUInt32BE(MAX_DATAGRAM_MAGIC, offset + 2)
    bytes.writeUInt32BE(maxDatagram >>> 0, offset + 6)
    next = offset
    offset += 10
  }
  bytes[next] = 0
  return { bytes, payloadOffset: offset }
}

/**
 * A copy of the encoded packet `bytes` made `size` bytes long (one more when only one byte was missing)
 * with {@link EXTENSION_PADDING} headers in front of its own extensions: an MTU probe whose loss costs
 * nothing, since the packet is resent without the padding.
 */
export function padPacket(bytes: Uint8Array, size: number): Buffer {
  let pad = Math.max(2, size - bytes.length)
  const out = Buffer.alloc(bytes.length + pad)
  out.set(bytes.subarray(0, HEADER_LENGTH))
  out[1] = EXTENSION_PADDING
  let offset = HEADER_LENGTH
  while (pad > 0) {
    // Chunks of at most 2 + 255 bytes; never leave a single byte for the last one.
    let len = Math.min(255, pad - 2)
    if (pad - (len + 2) === 1) len--
    pad -= len + 2
    out[offset] = pad > 0 ? EXTENSION_PADDING : bytes[1]!
    out[offset + 1] = len
    offset += len + 2
  }
  out.set(bytes.subarray(HEADER_LENGTH), offset)
  return out
}

/** Rewrites the fields that change when a packet is (re)sent: timestamps, window and ack number. */
export function stampPacket(
  bytes: Buffer,
  timestamp: number,
  timestampDiff: number,
  windowSize: number,
  ack: number,
): void {
  bytes.writeUInt32BE(timestamp >>> 0, 4)
  bytes.writeUInt32BE(timestampDiff >>> 0, 8)
  bytes.writeUInt32BE(Math.max(0, Math.min(windowSize, 0xffffffff)) >>> 0, 12)
  bytes.writeUInt16BE(ack, 18)
}
