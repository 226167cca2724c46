/** Stable error codes of `@p2p/utp`. */
export type UtpErrorCode =
  /** A datagram shorter than the 20-byte header. */
  | 'UTP_PACKET_TOO_SHORT'
  /** A header whose version is not 1. */
  | 'UTP_BAD_VERSION'
  /** A header whose type is not one of ST_DATA..ST_SYN. */
  | 'UTP_BAD_TYPE'
  /** An extension chain running past the end of the datagram, or a malformed selective ack. */
  | 'UTP_BAD_EXTENSION'
  /** The peer did not answer within the retransmission limit, or went silent. */
  | 'UTP_TIMEOUT'
  /** The peer reset the connection (ST_RESET). */
  | 'UTP_RESET'
  /** The connection was destroyed locally. */
  | 'UTP_DESTROYED'
  /** The socket already holds its maximum number of connections. */
  | 'UTP_CONNECTION_LIMIT'
  /** The UDP socket is closed or not bound. */
  | 'UTP_SOCKET_CLOSED'

/** The error class of `@p2p/utp`, with a stable {@link UtpErrorCode}. */
export class UtpError extends Error {
  /** Stable machine-readable error code. */
  readonly code: UtpErrorCode

  constructor(code: UtpErrorCode, message: string) {
    super(message)
    this.name = 'UtpError'
    this.code = code
  }
}
