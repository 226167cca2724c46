/** Stable error codes of `@p2p/peer-address`. */
export type PeerAddressErrorCode =
  /** Not a valid IPv4 or IPv6 address. */
  | 'PEER_ADDRESS_INVALID_IP'
  /** A port outside 1..65535 (0 is accepted only where noted). */
  | 'PEER_ADDRESS_INVALID_PORT'
  /** A `host:port` string that cannot be split. */
  | 'PEER_ADDRESS_INVALID_FORMAT'
  /** A compact peer list whose length is not a multiple of the entry size. */
  | 'PEER_ADDRESS_INVALID_COMPACT'
  /** A peer id that is not 20 bytes. */
  | 'PEER_ADDRESS_INVALID_PEER_ID'

/**
 * The error class of `@p2p/peer-address`, with a stable {@link PeerAddressErrorCode}.
 */
export class PeerAddressError extends Error {
  /** Stable machine-readable error code. */
  readonly code: PeerAddressErrorCode

  constructor(code: PeerAddressErrorCode, message: string) {
    super(message)
    this.name = 'PeerAddressError'
    this.code = code
  }
}
