/** Stable error codes of `@p2p/mse`. */
export type MseErrorCode =
  /** A bad argument to a function of this package (wrong key length, unknown policy...). */
  | 'MSE_INVALID_ARGUMENT'
  /** The peer's Diffie-Hellman public key is not a usable key (0, 1, P-1 or out of range). */
  | 'MSE_BAD_KEY'
  /** The peer sent more handshake bytes than the spec allows before a synchronisation point. */
  | 'MSE_TOO_LONG'
  /** `HASH('req1', S)` (responder) or `ENCRYPT(VC)` (initiator) not found within the spec's scan limit. */
  | 'MSE_NO_SYNC'
  /** `HASH('req2', SKEY) xor HASH('req3', S)` names no torrent of ours. */
  | 'MSE_UNKNOWN_TORRENT'
  /** The verification constant decrypted to something other than eight zero bytes. */
  | 'MSE_BAD_VC'
  /** A `PadC`/`PadD` length over 512. */
  | 'MSE_BAD_PAD'
  /** `crypto_provide` offers no method we allow, or `crypto_select` is not one single method we provided. */
  | 'MSE_NO_COMMON_METHOD'
  /** The transport closed before the handshake finished. */
  | 'MSE_CLOSED'
  /** The handshake did not finish in time. */
  | 'MSE_TIMEOUT'
  /** The handshake was aborted by its signal. */
  | 'MSE_ABORTED'

/**
 * The error class of `@p2p/mse`, with a stable {@link MseErrorCode}.
 */
export class MseError extends Error {
  /** Stable machine-readable error code. */
  readonly code: MseErrorCode

  constructor(code: MseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MseError'
    this.code = code
  }
}
