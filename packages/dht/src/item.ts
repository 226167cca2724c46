import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto'
import { encode } from '@p2p/bencode'

/** BEP 44: storing nodes may reject a `v` whose bencoded form is over 1000 bytes. */
export const MAX_ITEM_VALUE_BYTES = 1000
/** BEP 44 (libtorrent): longest `salt`. */
export const MAX_SALT_BYTES = 64
/** ed25519 public key length. */
export const PUBLIC_KEY_LENGTH = 32
/** ed25519 signature length. */
export const SIGNATURE_LENGTH = 64

/** DER prefixes wrapping raw ed25519 keys (RFC 8410), so Node's crypto can import them. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')

/** An ed25519 key pair for BEP 44 mutable items: a 32-byte seed and its 32-byte public key. */
export interface ItemKeyPair {
  /** The 32-byte private seed (keep it secret). */
  secretKey: Uint8Array
  /** The 32-byte public key (`k`). */
  publicKey: Uint8Array
}

/**
 * An ed25519 key pair from a 32-byte seed, or a fresh one.
 *
 * @example
 * ```ts
 * const keys = itemKeyPair()
 * const target = mutableTarget(keys.publicKey)
 * ```
 */
export function itemKeyPair(seed: Uint8Array = randomBytes(32)): ItemKeyPair {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return { secretKey: new Uint8Array(seed), publicKey: new Uint8Array(spki.subarray(SPKI_ED25519.length)) }
}

/** BEP 44: the target of an immutable item is the SHA-1 of its bencoded value. */
export function immutableTarget(encodedValue: Uint8Array): Uint8Array {
  return sha1(encodedValue)
}

/** BEP 44: the target of a mutable item is the SHA-1 of the public key followed by the salt. */
export function mutableTarget(publicKey: Uint8Array, salt: Uint8Array = new Uint8Array(0)): Uint8Array {
  return sha1(Buffer.concat([publicKey, salt]))
}

/** BEP 44: the bytes signed: `4:salt<len>:<salt>` (if any) `3:seqi<seq>e1:v` and the encoded value. */
export function signedBuffer(encodedValue: Uint8Array, seq: number, salt?: Uint8Array): Uint8Array {
  const head = salt && salt.length > 0 ? encode({ salt, seq }) : encode({ seq })
  // Drop the dictionary's `d` and `e`: what is signed is its inside, followed by `1:v` and the value.
  return Buffer.concat([head.subarray(1, head.length - 1), Buffer.from('1:v'), encodedValue])
}

/** Signs a mutable item with the 32-byte seed of {@link ItemKeyPair}. */
export function signItem(
  secretKey: Uint8Array,
  encodedValue: Uint8Array,
  seq: number,
  salt?: Uint8Array,
): Uint8Array {
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, secretKey]),
    format: 'der',
    type: 'pkcs8',
  })
  return new Uint8Array(sign(null, signedBuffer(encodedValue, seq, salt), key))
}

/** Verifies a mutable item's signature; false for keys or signatures of the wrong length. */
export function verifyItem(
  publicKey: Uint8Array,
  signature: Uint8Array,
  encodedValue: Uint8Array,
  seq: number,
  salt?: Uint8Array,
): boolean {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || signature.length !== SIGNATURE_LENGTH) return false
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519, publicKey]),
      format: 'der',
      type: 'spki',
    })
    return verify(null, signedBuffer(encodedValue, seq, salt), key, signature)
  } catch {
    return false
  }
}

function sha1(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(bytes).digest())
}
