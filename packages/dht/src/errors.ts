/** Stable error codes of `@p2p/dht`. Codes are public API: changing one is a breaking change. */
export type DhtErrorCode =
  /** A datagram that is not a bencoded dictionary (truncated, garbage, a list...). */
  | 'DHT_INVALID_MESSAGE'
  /** A message without a byte-string transaction id `t`. */
  | 'DHT_MISSING_TRANSACTION'
  /** A `y` other than `q`, `r` or `e`. */
  | 'DHT_UNKNOWN_TYPE'
  /** A query or response without a 20-byte `id`. */
  | 'DHT_INVALID_NODE_ID'
  /** A required argument missing or of the wrong type or length (`target`, `info_hash`, `port`...). */
  | 'DHT_INVALID_ARGUMENT'
  /** A compact `nodes`/`nodes6`/`values` string of a bad length or too long. */
  | 'DHT_INVALID_COMPACT'
  /** The remote node answered with a KRPC error; `remoteCode` holds its number. */
  | 'DHT_REMOTE_ERROR'
  /** A query got no answer before its timeout. */
  | 'DHT_TIMEOUT'
  /** Too many queries in flight: the new one was refused. */
  | 'DHT_TOO_MANY_PENDING'
  /** A BEP 44 item whose hash or signature does not check out, or is too big. */
  | 'DHT_INVALID_ITEM'
  /** The node was stopped, or is read-only where that matters. */
  | 'DHT_STOPPED'

/**
 * The error class of `@p2p/dht`, with a stable {@link DhtErrorCode}.
 *
 * @example
 * ```ts
 * try { parseMessage(bytes) } catch (e) { if (e instanceof DhtError) log(e.code) }
 * ```
 */
export class DhtError extends Error {
  /** Stable machine-readable error code. */
  readonly code: DhtErrorCode
  /** The KRPC error number (BEP 5: 201 generic, 202 server, 203 protocol, 204 method; BEP 44: 205-302). */
  readonly remoteCode: number | undefined
  /** The transaction id of a malformed message that had one, so a KRPC error can answer it. */
  readonly transaction: Uint8Array | undefined

  constructor(
    code: DhtErrorCode,
    message: string,
    detail: { remoteCode?: number; transaction?: Uint8Array } = {},
  ) {
    super(message)
    this.name = 'DhtError'
    this.code = code
    this.remoteCode = detail.remoteCode
    this.transaction = detail.transaction
  }
}

/** KRPC error numbers (BEP 5 and BEP 44). */
export const KrpcErrorCode = {
  /** BEP 5: generic error. */
  GENERIC: 201,
  /** BEP 5: server error. */
  SERVER: 202,
  /** BEP 5: protocol error (malformed packet, invalid arguments, bad token). */
  PROTOCOL: 203,
  /** BEP 5: method unknown. */
  METHOD_UNKNOWN: 204,
  /** BEP 44: `v` too big. */
  MESSAGE_TOO_BIG: 205,
  /** BEP 44: invalid signature. */
  INVALID_SIGNATURE: 206,
  /** BEP 44: `salt` too big. */
  SALT_TOO_BIG: 207,
  /** BEP 44: `cas` mismatch. */
  CAS_MISMATCH: 301,
  /** BEP 44: sequence number less than current. */
  SEQ_TOO_LOW: 302,
} as const
