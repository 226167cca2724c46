import { type BencodeValue, decode } from '@p2p/bencode'
import { equalBytes } from '@p2p/bytes'
import { KrpcErrorCode } from './errors.js'
import {
  immutableTarget,
  MAX_ITEM_VALUE_BYTES,
  MAX_SALT_BYTES,
  mutableTarget,
  PUBLIC_KEY_LENGTH,
  verifyItem,
} from './item.js'
import { idHex } from './node-id.js'

/** BEP 44: items may expire two hours after the last put. */
export const ITEM_TTL_MS = 2 * 60 * 60_000
/** Items kept (the least recently stored is dropped first). */
export const MAX_ITEMS = 1000

/** A BEP 44 item as stored and served. */
export interface StoredItem {
  /** The bencoded value, exactly as signed/hashed. */
  encoded: Uint8Array
  /** The decoded value (canonical, so it re-encodes to `encoded`). */
  value: BencodeValue
  /** Mutable items: the ed25519 public key. */
  k?: Uint8Array
  /** Mutable items: the sequence number. */
  seq?: number
  /** Mutable items: the signature. */
  sig?: Uint8Array
  /** Mutable items: the salt (not served, BEP 44). */
  salt?: Uint8Array
}

/** A mutable put as received. */
export interface MutablePut {
  /** The bencoded value. */
  encoded: Uint8Array
  /** The public key. */
  k: Uint8Array
  /** The signature. */
  sig: Uint8Array
  /** The sequence number. */
  seq: number
  /** The salt, possibly empty. */
  salt: Uint8Array
  /** The compare-and-swap sequence number, if given. */
  cas: number | undefined
}

/** Why a put was refused: a KRPC error number and text. */
export interface PutRefusal {
  /** BEP 44 error number (203, 205, 206, 207, 301, 302). */
  code: number
  /** Text for the KRPC error. */
  message: string
}

/**
 * Canonical decode of an item value: BEP 44 hashes and signs the value's encoding, so only a value
 * that re-encodes to the same bytes can be served back unchanged.
 */
export function decodeItemValue(encoded: Uint8Array): BencodeValue | undefined {
  if (encoded.length > MAX_ITEM_VALUE_BYTES) return undefined
  try {
    return decode(encoded, { strict: true, maxDepth: 32 })
  } catch {
    return undefined
  }
}

/** BEP 44 item storage: immutable items under their hash, mutable under key + salt, with expiry. */
export class ItemStore {
  readonly #items = new Map<string, StoredItem & { expires: number }>()

  /** Number of items stored. */
  get size(): number {
    return this.#items.size
  }

  /** The live item under `target`. */
  get(target: Uint8Array, now: number): StoredItem | undefined {
    const item = this.#items.get(idHex(target))
    return item && item.expires > now ? item : undefined
  }

  /** Stores an immutable item; refuses a value that is too big or not canonical bencode. */
  putImmutable(encoded: Uint8Array, now: number): PutRefusal | undefined {
    if (encoded.length > MAX_ITEM_VALUE_BYTES) return tooBig()
    if (decodeItemValue(encoded) === undefined) {
      return { code: KrpcErrorCode.PROTOCOL, message: 'value is not canonical bencode' }
    }
    this.#set(immutableTarget(encoded), { encoded }, now)
    return undefined
  }

  /** Stores a mutable item after the BEP 44 checks (size, salt, signature, cas, seq). */
  putMutable(put: MutablePut, now: number): PutRefusal | undefined {
    if (put.encoded.length > MAX_ITEM_VALUE_BYTES) return tooBig()
    if (put.salt.length > MAX_SALT_BYTES) return { code: KrpcErrorCode.SALT_TOO_BIG, message: 'salt too big' }
    if (decodeItemValue(put.encoded) === undefined || put.k.length !== PUBLIC_KEY_LENGTH) {
      return { code: KrpcErrorCode.PROTOCOL, message: 'invalid key or value' }
    }
    if (!verifyItem(put.k, put.sig, put.encoded, put.seq, put.salt)) {
      return { code: KrpcErrorCode.INVALID_SIGNATURE, message: 'invalid signature' }
    }
    const target = mutableTarget(put.k, put.salt)
    const current = this.get(target, now)
    if (current?.seq !== undefined) {
      if (put.cas !== undefined && put.cas !== current.seq) {
        return { code: KrpcErrorCode.CAS_MISMATCH, message: 'cas mismatch' }
      }
      if (put.seq < current.seq)
        return { code: KrpcErrorCode.SEQ_TOO_LOW, message: 'sequence number less than current' }
      if (put.seq === current.seq && !equalBytes(put.encoded, current.encoded)) {
        return { code: KrpcErrorCode.SEQ_TOO_LOW, message: 'same sequence number with another value' }
      }
    }
    this.#set(target, { encoded: put.encoded, k: put.k, seq: put.seq, sig: put.sig, salt: put.salt }, now)
    return undefined
  }

  /** Drops expired items. */
  expire(now: number): void {
    for (const [key, item] of this.#items) if (item.expires <= now) this.#items.delete(key)
  }

  #set(target: Uint8Array, item: Omit<StoredItem, 'value'>, now: number): void {
    const key = idHex(target)
    this.#items.delete(key)
    if (this.#items.size >= MAX_ITEMS) this.#items.delete(this.#items.keys().next().value!)
    // Copies: the message buffer the views point into is not ours to keep.
    const copy = (b: Uint8Array | undefined) => (b ? new Uint8Array(b) : undefined)
    const encoded = new Uint8Array(item.encoded)
    this.#items.set(key, {
      encoded,
      value: decodeItemValue(encoded)!,
      k: copy(item.k),
      seq: item.seq,
      sig: copy(item.sig),
      salt: copy(item.salt),
      expires: now + ITEM_TTL_MS,
    })
  }
}

function tooBig(): PutRefusal {
  return { code: KrpcErrorCode.MESSAGE_TOO_BIG, message: 'value too big' }
}
