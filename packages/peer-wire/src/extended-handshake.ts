import { type BencodeDict, type BencodeValue, decode, type Encodable, encode, toText } from '@p2p/bencode'
import { PeerWireError } from './errors.js'

/** The peer's extended handshake (BEP 10), with the well-known keys checked and typed. */
export interface ExtendedHandshake {
  /** Extension name to the peer's message id for it (0 = disabled entries are left out). */
  m: Record<string, number>
  /** Client name and version. */
  v?: string
  /** The peer's listen port. */
  p?: number
  /** How many outstanding requests the peer accepts. */
  reqq?: number
  /** Our address as the peer sees it (4 or 16 bytes). */
  yourip?: Uint8Array
  /** Size of the info dictionary in bytes (BEP 9). */
  metadataSize?: number
  /** The peer only uploads (a seed or partial seed, BEP 21). */
  uploadOnly?: boolean
  /** The whole dictionary as received, for other keys. */
  raw: BencodeDict
}

const int = (v: BencodeValue | undefined): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined

/**
 * Decodes an extended handshake payload. Unknown keys are kept in `raw`; well-known keys of the
 * wrong type are ignored, as BEP 10 asks, but a payload that is not a dictionary is an error.
 *
 * @throws {PeerWireError} `PEER_WIRE_BAD_EXTENDED`.
 */
export function decodeExtendedHandshake(payload: Uint8Array): ExtendedHandshake {
  let raw: BencodeValue
  try {
    raw = decode(payload, { strict: false, maxDepth: 16, maxTokens: 10_000 })
  } catch (err) {
    throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'extended handshake is not valid bencode', {
      cause: err,
    })
  }
  if (!isDict(raw))
    throw new PeerWireError('PEER_WIRE_BAD_EXTENDED', 'extended handshake is not a dictionary')
  const m: Record<string, number> = Object.create(null)
  if (isDict(raw.m)) {
    for (const [name, id] of Object.entries(raw.m)) {
      const n = int(id)
      if (n !== undefined && n > 0 && n < 256) m[name] = n
    }
  }
  const h: ExtendedHandshake = { m, raw }
  const v = toText(raw.v)
  if (v !== undefined) h.v = v
  const p = int(raw.p)
  if (p !== undefined && p > 0 && p < 65536) h.p = p
  const reqq = int(raw.reqq)
  if (reqq !== undefined && reqq > 0) h.reqq = reqq
  if (raw.yourip instanceof Uint8Array && (raw.yourip.length === 4 || raw.yourip.length === 16))
    h.yourip = raw.yourip
  const size = int(raw.metadata_size)
  if (size !== undefined && size > 0) h.metadataSize = size
  const uo = int(raw.upload_only)
  if (uo !== undefined) h.uploadOnly = uo !== 0
  return h
}

/** Encodes our extended handshake from the extension ids and extra fields. */
export function encodeExtendedHandshake(
  m: Record<string, number>,
  fields: Record<string, Encodable | undefined>,
): Uint8Array {
  return encode({ ...fields, m })
}

/** Whether a decoded bencode value is a dictionary. */
export function isDict(v: BencodeValue | undefined): v is BencodeDict {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v)
}
