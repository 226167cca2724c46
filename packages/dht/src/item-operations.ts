import { type BencodeValue, type Encodable, encode } from '@p2p/bencode'
import { equalBytes } from '@p2p/bytes'
import type { DhtCore, QueryAnswer } from './dht-core.js'
import { DhtError } from './errors.js'
import {
  type ItemKeyPair,
  immutableTarget,
  MAX_ITEM_VALUE_BYTES,
  mutableTarget,
  signItem,
  verifyItem,
} from './item.js'
import { decodeItemValue } from './item-store.js'
import type { LookupResponder, LookupStats } from './lookup.js'
import { encodedValue } from './responder.js'

/** An item found by {@link getItem}. */
export interface FoundItem {
  /** The decoded value. */
  value: BencodeValue
  /** Its bencoded form (what was hashed or signed). */
  encoded: Uint8Array
  /** Mutable items: the sequence number (the highest found). */
  seq?: number
  /** Mutable items: the public key. */
  k?: Uint8Array
  /** Mutable items: the signature. */
  sig?: Uint8Array
}

/** Options of {@link getItem} for mutable items. */
export interface MutableRef {
  /** The publisher's ed25519 public key. */
  publicKey: Uint8Array
  /** The salt the item was stored under (default none). */
  salt?: Uint8Array
}

/** The result of a BEP 44 lookup. */
export interface ItemLookup {
  /** The item (for mutable items the valid one with the highest `seq`), if any node had it. */
  item: FoundItem | undefined
  /** The closest nodes that answered, with write tokens. */
  closest: LookupResponder[]
  /** Lookup figures. */
  stats: LookupStats
}

/**
 * BEP 44 `get`: an immutable item by its hash, or a mutable one by public key (+ salt). Every answer
 * is checked: an immutable value must hash to the target, a mutable one must carry a valid signature.
 */
export async function getItem(core: DhtCore, target: Uint8Array, mutable?: MutableRef): Promise<ItemLookup> {
  let best: FoundItem | undefined
  const salt = mutable?.salt
  const { closest, stats } = await core.lookup(target, 'get', { target }, ({ response }: QueryAnswer) => {
    const r = response.r
    if (r.v === undefined) return
    const encoded = encodedValue(r)
    const value = decodeItemValue(encoded)
    if (value === undefined) return
    if (!mutable) {
      if (!best && equalBytes(immutableTarget(encoded), target))
        best = { value, encoded: new Uint8Array(encoded) }
      return
    }
    const { k, sig, seq } = r
    if (!(k instanceof Uint8Array) || !(sig instanceof Uint8Array) || typeof seq !== 'number') return
    if (!equalBytes(k, mutable.publicKey) || !equalBytes(mutableTarget(k, salt), target)) return
    if (!verifyItem(k, sig, encoded, seq, salt)) return
    if (best?.seq !== undefined && best.seq >= seq) return
    best = { value, encoded: new Uint8Array(encoded), seq, k: new Uint8Array(k), sig: new Uint8Array(sig) }
  })
  return { item: best, closest, stats }
}

/** The result of a put. */
export interface PutResult {
  /** Where the item is stored. */
  target: Uint8Array
  /** Nodes that accepted it. */
  stored: number
  /** KRPC error numbers of the nodes that refused it. */
  refused: number[]
}

/**
 * BEP 44 `put` of an immutable item: finds the nodes closest to its hash and stores it on them.
 * @throws {DhtError} `DHT_INVALID_ITEM` when the value encodes to more than 1000 bytes.
 */
export async function putImmutable(core: DhtCore, value: Encodable): Promise<PutResult> {
  const encoded = checkedEncode(value)
  const target = immutableTarget(encoded)
  const { closest } = await getItem(core, target)
  return { target, ...(await storeOn(core, closest, { v: value })) }
}

/** Options of {@link putMutable}. */
export interface MutablePutOptions {
  /** The publisher's key pair (see {@link itemKeyPair}). */
  keys: ItemKeyPair
  /** The value. */
  value: Encodable
  /** Sequence number; default one more than the highest found (or 0). */
  seq?: number
  /** Salt (up to 64 bytes). */
  salt?: Uint8Array
  /** Compare-and-swap: only replace the item whose `seq` is this. */
  cas?: number
}

/**
 * BEP 44 `put` of a mutable item, signed with `keys`.
 * @throws {DhtError} `DHT_INVALID_ITEM` when the value encodes to more than 1000 bytes.
 */
export async function putMutable(
  core: DhtCore,
  options: MutablePutOptions,
): Promise<PutResult & { seq: number }> {
  const encoded = checkedEncode(options.value)
  const { publicKey, secretKey } = options.keys
  const target = mutableTarget(publicKey, options.salt)
  const { item, closest } = await getItem(core, target, { publicKey, salt: options.salt })
  const seq = options.seq ?? (item?.seq ?? -1) + 1
  const sig = signItem(secretKey, encoded, seq, options.salt)
  const salt = options.salt && options.salt.length > 0 ? options.salt : undefined
  const args = { v: options.value, k: publicKey, seq, sig, salt, cas: options.cas }
  return { target, seq, ...(await storeOn(core, closest, args)) }
}

async function storeOn(
  core: DhtCore,
  closest: readonly LookupResponder[],
  args: Record<string, Encodable | undefined>,
): Promise<{ stored: number; refused: number[] }> {
  const results = await Promise.allSettled(
    closest
      .filter((r) => r.token)
      .map((r) => core.query(r.contact.address, 'put', { ...args, token: r.token }, r.contact.id)),
  )
  const refused: number[] = []
  for (const r of results) {
    if (r.status === 'rejected' && (r.reason as DhtError).remoteCode)
      refused.push((r.reason as DhtError).remoteCode!)
  }
  return { stored: results.filter((r) => r.status === 'fulfilled').length, refused }
}

function checkedEncode(value: Encodable): Uint8Array {
  const encoded = encode(value)
  if (encoded.length > MAX_ITEM_VALUE_BYTES) {
    throw new DhtError(
      'DHT_INVALID_ITEM',
      `item value is ${encoded.length} bytes, over ${MAX_ITEM_VALUE_BYTES}`,
    )
  }
  return encoded
}
