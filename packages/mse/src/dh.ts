import { createDiffieHellman, type DiffieHellman } from 'node:crypto'
import { DH_KEY_LENGTH, MSE_GENERATOR, MSE_PRIME } from './constants.js'
import { MseError } from './errors.js'

// Creating a DiffieHellman object checks the prime (tens of ms); one object serves every handshake,
// each call setting its own private key first (all of this is synchronous).
let shared: DiffieHellman | undefined

function dh(privateKey: Uint8Array): DiffieHellman {
  shared ??= createDiffieHellman(MSE_PRIME, MSE_GENERATOR)
  shared.setPrivateKey(privateKey)
  return shared
}

function pad(b: Buffer): Buffer {
  if (b.length === DH_KEY_LENGTH) return b
  const out = Buffer.alloc(DH_KEY_LENGTH)
  b.copy(out, DH_KEY_LENGTH - b.length)
  return out
}

/** Our public key `G^X mod P`, 96 bytes big-endian. */
export function publicKey(privateKey: Uint8Array): Buffer {
  const d = dh(privateKey)
  d.generateKeys()
  return pad(d.getPublicKey())
}

/**
 * The shared secret `Y^X mod P`, 96 bytes big-endian.
 * @throws {MseError} `MSE_BAD_KEY` when the peer's key is not in 2..P-2
 */
export function sharedSecret(privateKey: Uint8Array, peerKey: Uint8Array): Buffer {
  try {
    return pad(dh(privateKey).computeSecret(peerKey))
  } catch (err) {
    throw new MseError('MSE_BAD_KEY', `bad Diffie-Hellman public key: ${(err as Error).message}`, {
      cause: err,
    })
  }
}
