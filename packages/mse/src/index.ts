/**
 * Message Stream Encryption (MSE, also called PE) for BitTorrent: RC4 with the first 1024 keystream
 * bytes discarded, the Diffie-Hellman handshake for both roles as a sans-I/O core, and a shell that
 * wraps any transport into a plaintext stream.
 * @packageDocumentation
 */
export {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  DH_KEY_LENGTH,
  HASH_LENGTH,
  MAX_IA,
  MAX_PAD,
  MSE_GENERATOR,
  MSE_PRIME,
  PLAIN_PREFIX,
  PRIVATE_KEY_LENGTH,
  REQ1_SYNC_LIMIT,
  VC_LENGTH,
  VC_SYNC_LIMIT,
} from './constants.js'
export { isPlainHandshake } from './detect.js'
export { MseError, type MseErrorCode } from './errors.js'
export {
  MseHandshake,
  type MseHandshakeOptions,
  type MseMethod,
  type MseResult,
  req2Hash,
} from './handshake.js'
export { MSE_RC4_DISCARD, Rc4 } from './rc4.js'
export { MSE_HANDSHAKE_TIMEOUT_MS, type MseClock, type MseShellOptions, mseHandshake } from './shell.js'
export { MseStream } from './stream.js'
