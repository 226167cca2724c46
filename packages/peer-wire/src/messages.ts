import { readU32 } from './bytes.js'
import { MessageId } from './constants.js'
import { PeerWireError } from './errors.js'

/** A block address: piece index, byte offset in the piece, length. */
export interface BlockRequest {
  index: number
  begin: number
  length: number
}

/** The fields of a BEP 52 hash request, hash reject or hashes message. */
export interface HashRequest {
  /** 32 bytes: the root of the file's merkle tree. */
  piecesRoot: Uint8Array
  /** Layers above the leaf (16 KiB block) layer where the requested hashes are; 0 = leaves. */
  baseLayer: number
  /** Offset, in hashes, of the first requested hash in the base layer (a multiple of `length`). */
  index: number
  /** Number of base-layer hashes: a power of two, at least 2. */
  length: number
  /** Number of ancestor layers whose uncle hashes are included. */
  proofLayers: number
}

/** One decoded peer wire message (after the handshake). */
export type Message =
  | { type: 'keep-alive' }
  | { type: 'choke' }
  | { type: 'unchoke' }
  | { type: 'interested' }
  | { type: 'not-interested' }
  | { type: 'have'; index: number }
  | { type: 'bitfield'; bits: Uint8Array }
  | ({ type: 'request' } & BlockRequest)
  | { type: 'piece'; index: number; begin: number; block: Uint8Array }
  | ({ type: 'cancel' } & BlockRequest)
  | { type: 'port'; port: number }
  | { type: 'suggest'; index: number }
  | { type: 'have-all' }
  | { type: 'have-none' }
  | ({ type: 'reject' } & BlockRequest)
  | { type: 'allowed-fast'; index: number }
  | { type: 'extended'; id: number; payload: Uint8Array }
  | ({ type: 'hash-request' } & HashRequest)
  | ({ type: 'hashes' } & HashRequest & { hashes: Uint8Array })
  | ({ type: 'hash-reject' } & HashRequest)

/** Limits applied while decoding messages; every length a peer controls is checked against one. */
export interface MessageLimits {
  /** Largest block in a piece or request message. Default 16 KiB. */
  maxBlockLength: number
  /** Largest bitfield payload in bytes (exactly `ceil(pieceCount / 8)` once the piece count is known). */
  maxBitfieldLength: number
  /** Largest extension-protocol message payload. */
  maxExtendedLength: number
  /** Largest number of hashes in a BEP 52 hashes message. */
  maxHashes: number
}

const FIXED: Record<number, number> = {
  [MessageId.choke]: 1,
  [MessageId.unchoke]: 1,
  [MessageId.interested]: 1,
  [MessageId.notInterested]: 1,
  [MessageId.have]: 5,
  [MessageId.request]: 13,
  [MessageId.cancel]: 13,
  [MessageId.port]: 3,
  [MessageId.suggest]: 5,
  [MessageId.haveAll]: 1,
  [MessageId.haveNone]: 1,
  [MessageId.reject]: 13,
  [MessageId.allowedFast]: 5,
  [MessageId.hashRequest]: 49,
  [MessageId.hashReject]: 49,
}

const HASH_HEADER = 49

/**
 * Largest frame (id byte + payload) allowed for message `id`, checked before any buffer is allocated
 * for it; `-1` for an unknown id.
 */
export function maxFrameLength(id: number, limits: MessageLimits): number {
  const fixed = FIXED[id]
  if (fixed !== undefined) return fixed
  switch (id) {
    case MessageId.bitfield:
      return 1 + limits.maxBitfieldLength
    case MessageId.piece:
      return 9 + limits.maxBlockLength
    case MessageId.extended:
      return 2 + limits.maxExtendedLength
    case MessageId.hashes:
      return HASH_HEADER + 32 * limits.maxHashes
    default:
      return -1
  }
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = v >>> 16
  b[o + 2] = v >>> 8
  b[o + 3] = v
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`expected ${name} to be an unsigned 32-bit integer, got ${v}`)
  }
}

/** Writes the 4-byte length prefix and id of a message with `payload` bytes into a new buffer. */
function frame(id: number, payload: number): Uint8Array {
  // A Buffer from Node's pool: small messages cost no allocation of their own, and the transport takes
  // Buffers without converting them. Every byte is written by the caller.
  const out = Buffer.allocUnsafe(5 + payload)
  put32(out, 0, 1 + payload)
  out[4] = id
  return out
}

function encodeHashFields(out: Uint8Array, h: HashRequest): void {
  if (h.piecesRoot.length !== 32)
    throw new RangeError(`expected a 32-byte pieces root, got ${h.piecesRoot.length}`)
  for (const k of ['baseLayer', 'index', 'length', 'proofLayers'] as const) checkU32(k, h[k])
  out.set(h.piecesRoot, 5)
  put32(out, 37, h.baseLayer)
  put32(out, 41, h.index)
  put32(out, 45, h.length)
  put32(out, 49, h.proofLayers)
}

/** Encodes the 13-byte header of a piece message carrying `blockLength` bytes. */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const out = Buffer.allocUnsafe(13)
  put32(out, 0, 9 + blockLength)
  out[4] = MessageId.piece
  put32(out, 5, index)
  put32(out, 9, begin)
  return out
}

const KEEP_ALIVE = new Uint8Array(4)

/** Ids of the messages without payload. */
const NO_PAYLOAD_IDS = {
  choke: MessageId.choke,
  unchoke: MessageId.unchoke,
  interested: MessageId.interested,
  'not-interested': MessageId.notInterested,
  'have-all': MessageId.haveAll,
  'have-none': MessageId.haveNone,
} as const

/**
 * Encodes a message with its length prefix.
 *
 * @example
 * ```ts
 * encodeMessage({ type: 'have', index: 7 }) // 00 00 00 05 04 00 00 00 07
 * ```
 * @throws {RangeError} on a field out of range.
 */
export function encodeMessage(m: Message): Uint8Array {
  switch (m.type) {
    case 'keep-alive':
      return KEEP_ALIVE.slice()
    case 'choke':
    case 'unchoke':
    case 'interested':
    case 'not-interested':
    case 'have-all':
    case 'have-none':
      return frame(NO_PAYLOAD_IDS[m.type], 0)
    case 'have':
    case 'suggest':
    case 'allowed-fast': {
      checkU32('index', m.index)
      const id =
        m.type === 'have' ? MessageId.have : m.type === 'suggest' ? MessageId.suggest : MessageId.allowedFast
      const out = frame(id, 4)
      put32(out, 5, m.index)
      return out
    }
    case 'bitfield': {
      const out = frame(MessageId.bitfield, m.bits.length)
      out.set(m.bits, 5)
      return out
    }
    case 'request':
    case 'cancel':
    case 'reject': {
      checkU32('index', m.index)
      checkU32('begin', m.begin)
      checkU32('length', m.length)
      const id =
        m.type === 'request' ? MessageId.request : m.type === 'cancel' ? MessageId.cancel : MessageId.reject
      const out = frame(id, 12)
      put32(out, 5, m.index)
      put32(out, 9, m.begin)
      put32(out, 13, m.length)
      return out
    }
    case 'piece': {
      checkU32('index', m.index)
      checkU32('begin', m.begin)
      const out = Buffer.allocUnsafe(13 + m.block.length)
      out.set(encodePieceHeader(m.index, m.begin, m.block.length))
      out.set(m.block, 13)
      return out
    }
    case 'port': {
      if (!Number.isInteger(m.port) || m.port < 0 || m.port > 0xffff) {
        throw new RangeError(`expected a port in 0..65535, got ${m.port}`)
      }
      const out = frame(MessageId.port, 2)
      out[5] = m.port >> 8
      out[6] = m.port & 0xff
      return out
    }
    case 'extended': {
      if (!Number.isInteger(m.id) || m.id < 0 || m.id > 255)
        throw new RangeError(`expected an extended id in 0..255, got ${m.id}`)
      const out = frame(MessageId.extended, 1 + m.payload.length)
      out[5] = m.id
      out.set(m.payload, 6)
      return out
    }
    case 'hash-request':
    case 'hash-reject': {
      const out = frame(m.type === 'hash-request' ? MessageId.hashRequest : MessageId.hashReject, 48)
      encodeHashFields(out, m)
      return out
    }
    case 'hashes': {
      if (m.hashes.length % 32 !== 0)
        throw new RangeError(`expected hashes to be a multiple of 32 bytes, got ${m.hashes.length}`)
      const out = frame(MessageId.hashes, 48 + m.hashes.length)
      encodeHashFields(out, m)
      out.set(m.hashes, 53)
      return out
    }
  }
}

function bad(message: string): PeerWireError {
  return new PeerWireError('PEER_WIRE_BAD_MESSAGE', message)
}

function hashFields(f: Uint8Array): HashRequest {
  return {
    piecesRoot: f.subarray(1, 33),
    baseLayer: readU32(f, 33),
    index: readU32(f, 37),
    length: readU32(f, 41),
    proofLayers: readU32(f, 45),
  }
}

/**
 * Decodes one frame: the bytes after the 4-byte length prefix (an empty frame is a keep-alive).
 * Byte-string fields are views into `frame`, not copies.
 *
 * @throws {PeerWireError} `PEER_WIRE_UNKNOWN_MESSAGE`, `PEER_WIRE_MESSAGE_TOO_LARGE` or `PEER_WIRE_BAD_MESSAGE`.
 */
export function decodeMessage(f: Uint8Array, limits: MessageLimits): Message {
  if (f.length === 0) return { type: 'keep-alive' }
  const id = f[0]!
  const max = maxFrameLength(id, limits)
  if (max < 0) throw new PeerWireError('PEER_WIRE_UNKNOWN_MESSAGE', `unknown message id ${id}`)
  if (f.length > max) {
    throw new PeerWireError(
      'PEER_WIRE_MESSAGE_TOO_LARGE',
      `message ${id} of ${f.length} bytes exceeds ${max}`,
    )
  }
  const fixed = FIXED[id]
  if (fixed !== undefined && f.length !== fixed)
    throw bad(`message ${id} must be ${fixed} bytes, got ${f.length}`)
  switch (id) {
    case MessageId.choke:
      return { type: 'choke' }
    case MessageId.unchoke:
      return { type: 'unchoke' }
    case MessageId.interested:
      return { type: 'interested' }
    case MessageId.notInterested:
      return { type: 'not-interested' }
    case MessageId.haveAll:
      return { type: 'have-all' }
    case MessageId.haveNone:
      return { type: 'have-none' }
    case MessageId.have:
      return { type: 'have', index: readU32(f, 1) }
    case MessageId.suggest:
      return { type: 'suggest', index: readU32(f, 1) }
    case MessageId.allowedFast:
      return { type: 'allowed-fast', index: readU32(f, 1) }
    case MessageId.bitfield:
      return { type: 'bitfield', bits: f.subarray(1) }
    case MessageId.request:
      return { type: 'request', index: readU32(f, 1), begin: readU32(f, 5), length: readU32(f, 9) }
    case MessageId.cancel:
      return { type: 'cancel', index: readU32(f, 1), begin: readU32(f, 5), length: readU32(f, 9) }
    case MessageId.reject:
      return { type: 'reject', index: readU32(f, 1), begin: readU32(f, 5), length: readU32(f, 9) }
    case MessageId.piece:
      if (f.length < 9) throw bad(`piece message of ${f.length} bytes is too short`)
      return { type: 'piece', index: readU32(f, 1), begin: readU32(f, 5), block: f.subarray(9) }
    case MessageId.port:
      return { type: 'port', port: (f[1]! << 8) | f[2]! }
    case MessageId.extended:
      if (f.length < 2) throw bad('extended message without an extended id')
      return { type: 'extended', id: f[1]!, payload: f.subarray(2) }
    case MessageId.hashRequest:
      return { type: 'hash-request', ...hashFields(f) }
    case MessageId.hashReject:
      return { type: 'hash-reject', ...hashFields(f) }
    default: {
      // MessageId.hashes
      if (f.length < HASH_HEADER || (f.length - HASH_HEADER) % 32 !== 0) {
        throw bad(`hashes message of ${f.length} bytes is not a header plus whole 32-byte hashes`)
      }
      return { type: 'hashes', ...hashFields(f), hashes: f.subarray(HASH_HEADER) }
    }
  }
}
