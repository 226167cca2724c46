import { type BencodeDict, type BencodeValue, decode, type Encodable, encode, toText } from '@p2p/bencode'
import { bytesToIp, type PeerAddress } from '@p2p/peer-address'
import { DhtError, type DhtErrorCode } from './errors.js'
import { ID_LENGTH } from './node-id.js'

/** Largest datagram parsed; BEP 32 caps senders at 1024 bytes, leave room for lenient peers. */
export const MAX_MESSAGE_BYTES = 4096
/** Most bencode values in one message (a BEP 44 `v` of 1000 bytes holds at most ~500). */
const MAX_MESSAGE_TOKENS = 2048
/** Nesting allowed in one message (the `v` of BEP 44 may nest). */
const MAX_MESSAGE_DEPTH = 32
/** Longest transaction id echoed back (libtorrent uses 2 bytes). */
const MAX_TRANSACTION_BYTES = 16

/** A parsed KRPC query. */
export interface KrpcQuery {
  /** Always `q`. */
  y: 'q'
  /** Transaction id, echoed in the answer. */
  t: Uint8Array
  /** Method name (`ping`, `find_node`, `get_peers`...). */
  q: string
  /** The querying node's id. */
  id: Uint8Array
  /** The `a` dictionary. */
  args: BencodeDict
  /** BEP 43: the sender is read-only (`ro: 1`). */
  readOnly: boolean
}

/** A parsed KRPC response. */
export interface KrpcResponse {
  /** Always `r`. */
  y: 'r'
  /** Transaction id of the query it answers. */
  t: Uint8Array
  /** The responding node's id. */
  id: Uint8Array
  /** The `r` dictionary. */
  r: BencodeDict
  /** BEP 42: our address as the responder saw it. */
  ip: PeerAddress | undefined
}

/** A parsed KRPC error. */
export interface KrpcErrorMessage {
  /** Always `e`. */
  y: 'e'
  /** Transaction id of the query it answers. */
  t: Uint8Array
  /** Error number (201..204 BEP 5, 205..302 BEP 44). */
  code: number
  /** Error text. */
  message: string
}

/** Any KRPC message. */
export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorMessage

/**
 * Parses one KRPC datagram.
 *
 * @throws {DhtError} `DHT_INVALID_MESSAGE`, `DHT_MISSING_TRANSACTION`, `DHT_UNKNOWN_TYPE` or
 *   `DHT_INVALID_NODE_ID`; the error's `transaction` is set when a query had a usable `t`, so the
 *   caller can answer with a KRPC error.
 */
export function parseMessage(bytes: Uint8Array): KrpcMessage {
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new DhtError(
      'DHT_INVALID_MESSAGE',
      `datagram of ${bytes.length} bytes is over ${MAX_MESSAGE_BYTES}`,
    )
  }
  let msg = decodeMessage(bytes, false)
  if (!isDict(msg)) throw new DhtError('DHT_INVALID_MESSAGE', 'a KRPC message must be a dictionary')
  // BEP 44 signs and hashes `v` as it appears on the wire: only then are raw spans worth their cost.
  if ((isDict(msg.a) && msg.a.v !== undefined) || (isDict(msg.r) && msg.r.v !== undefined)) {
    msg = decodeMessage(bytes, true) as BencodeDict
  }
  const t = msg.t
  if (!(t instanceof Uint8Array) || t.length === 0 || t.length > MAX_TRANSACTION_BYTES) {
    throw new DhtError('DHT_MISSING_TRANSACTION', 'missing or invalid transaction id `t`')
  }
  const y = toText(msg.y)
  if (y === 'q') {
    const q = toText(msg.q)
    const args = msg.a
    if (q === undefined || !isDict(args))
      throw withTransaction('DHT_INVALID_MESSAGE', 'query without `q`/`a`', t)
    return { y, t, q, id: requireId(args.id, t), args, readOnly: msg.ro === 1 }
  }
  if (y === 'r') {
    if (!isDict(msg.r)) throw new DhtError('DHT_INVALID_MESSAGE', 'response without an `r` dictionary')
    return { y, t, id: requireId(msg.r.id, undefined), r: msg.r, ip: parseCompactAddress(msg.ip) }
  }
  if (y === 'e') {
    const e = msg.e
    const code = Array.isArray(e) && typeof e[0] === 'number' ? e[0] : 0
    const message = (Array.isArray(e) && toText(e[1])) || 'unknown error'
    return { y, t, code, message }
  }
  throw withTransaction('DHT_UNKNOWN_TYPE', `unknown message type ${JSON.stringify(y ?? null)}`, t)
}

function decodeMessage(bytes: Uint8Array, spans: boolean): BencodeValue {
  try {
    return decode(bytes, { strict: false, spans, maxDepth: MAX_MESSAGE_DEPTH, maxTokens: MAX_MESSAGE_TOKENS })
  } catch (e) {
    throw new DhtError('DHT_INVALID_MESSAGE', `not bencode: ${(e as Error).message}`)
  }
}

function withTransaction(code: DhtErrorCode, text: string, t: Uint8Array | undefined): DhtError {
  return t ? new DhtError(code, text, { transaction: t }) : new DhtError(code, text)
}

function requireId(id: BencodeValue | undefined, t: Uint8Array | undefined): Uint8Array {
  if (!(id instanceof Uint8Array) || id.length !== ID_LENGTH) {
    throw withTransaction('DHT_INVALID_NODE_ID', 'node id must be a 20-byte string', t)
  }
  return id
}

/** Compact IP + port (6 or 18 bytes), as in BEP 42's `ip` field. */
export function parseCompactAddress(value: BencodeValue | undefined): PeerAddress | undefined {
  if (!(value instanceof Uint8Array) || (value.length !== 6 && value.length !== 18)) return undefined
  const n = value.length - 2
  return { host: bytesToIp(value.subarray(0, n)), port: (value[n]! << 8) | value[n + 1]! }
}

/** Whether a decoded value is a dictionary. */
export function isDict(value: BencodeValue | undefined): value is BencodeDict {
  return (
    typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !Array.isArray(value)
  )
}

/** Encodes a query. */
export function encodeQuery(t: Uint8Array, q: string, args: Encodable, readOnly: boolean): Uint8Array {
  return encode({ a: args, q, ro: readOnly ? 1 : undefined, t, y: 'q' })
}

/** Encodes a response, with BEP 42's `ip` (the requester's compact address). */
export function encodeResponse(t: Uint8Array, r: Encodable, ip: Uint8Array | undefined): Uint8Array {
  return encode({ ip, r, t, y: 'r' })
}

/** Encodes a KRPC error. */
export function encodeError(t: Uint8Array, code: number, message: string): Uint8Array {
  return encode({ e: [code, message], t, y: 'e' })
}
