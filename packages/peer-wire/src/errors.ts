/**
 * Stable error codes of `@p2p/peer-wire`. Codes are public API: changing one is a breaking change.
 */
export type PeerWireErrorCode =
  /** The peer's handshake is not a BitTorrent handshake (wrong protocol string or length). */
  | 'PEER_WIRE_BAD_HANDSHAKE'
  /** The peer's handshake names another torrent than ours. */
  | 'PEER_WIRE_INFO_HASH_MISMATCH'
  /** The peer's handshake carries another peer id than the one expected. */
  | 'PEER_WIRE_PEER_ID_MISMATCH'
  /** The handshake did not complete within `handshakeTimeout`. */
  | 'PEER_WIRE_HANDSHAKE_TIMEOUT'
  /** A length prefix is larger than the message type allows (or than `maxMessageLength`). */
  | 'PEER_WIRE_MESSAGE_TOO_LARGE'
  /** A message id we do not know. */
  | 'PEER_WIRE_UNKNOWN_MESSAGE'
  /** A message whose payload has the wrong size or shape for its id. */
  | 'PEER_WIRE_BAD_MESSAGE'
  /** A message that is not allowed now: a fast message without the fast extension, a second bitfield... */
  | 'PEER_WIRE_UNEXPECTED_MESSAGE'
  /** A bitfield of the wrong length, with spare bits set, or a have/piece index outside the torrent. */
  | 'PEER_WIRE_BAD_BITFIELD'
  /** The peer asked for a block above the block size limit or outside the torrent. */
  | 'PEER_WIRE_BAD_REQUEST'
  /** The peer sent more requests than it may have queued (`maxQueuedRequests`) without the fast extension to reject them. */
  | 'PEER_WIRE_REQUEST_FLOOD'
  /** The peer sent a piece we never requested (fatal under the fast extension, BEP 6). */
  | 'PEER_WIRE_UNREQUESTED_PIECE'
  /** An extension message (extended handshake, ut_metadata, ut_pex, lt_donthave) is malformed. */
  | 'PEER_WIRE_BAD_EXTENDED'
  /** A 'hashes' message that does not match its request (BEP 52). */
  | 'PEER_WIRE_BAD_HASHES'
  /** Our request was rejected by the peer (fast extension reject request). */
  | 'PEER_WIRE_REJECTED'
  /** Our request was dropped because the peer choked us (without the fast extension, choke discards requests). */
  | 'PEER_WIRE_CHOKED'
  /** We cancelled the request ourselves. */
  | 'PEER_WIRE_CANCELLED'
  /** The request was not answered within `requestTimeout`. */
  | 'PEER_WIRE_REQUEST_TIMEOUT'
  /** Nothing was received from the peer for `idleTimeout`. */
  | 'PEER_WIRE_IDLE_TIMEOUT'
  /** A message was not complete within `messageTimeout` of its first byte. */
  | 'PEER_WIRE_MESSAGE_TIMEOUT'
  /** More requests than the peer accepts or than `maxRequests` are outstanding, or the same block is already requested. */
  | 'PEER_WIRE_TOO_MANY_REQUESTS'
  /** The peer does not support what was asked (ut_metadata, the fast extension, an extension by name...). */
  | 'PEER_WIRE_NOT_SUPPORTED'
  /** The peer refused to send metadata (ut_metadata reject). */
  | 'PEER_WIRE_METADATA_REJECTED'
  /** The fetched metadata does not hash to the info hash. */
  | 'PEER_WIRE_METADATA_MISMATCH'
  /** The peer announced metadata larger than `maxMetadataSize`. */
  | 'PEER_WIRE_METADATA_TOO_LARGE'
  /** The peer rejected our BEP 52 hash request. */
  | 'PEER_WIRE_HASH_REJECTED'
  /** The operation was cancelled through its `AbortSignal`. */
  | 'PEER_WIRE_ABORTED'
  /** The wire is closed (by us, the peer, or the transport). */
  | 'PEER_WIRE_CLOSED'

/**
 * The one error class of `@p2p/peer-wire`. A protocol error destroys the wire and is given to its
 * `'close'` listeners; per-operation failures reject the operation's promise.
 *
 * @example
 * ```ts
 * wire.on('close', (err) => {
 *   if (err?.code === 'PEER_WIRE_INFO_HASH_MISMATCH') console.log('wrong torrent')
 * })
 * ```
 */
export class PeerWireError extends Error {
  /** Stable machine-readable error code. */
  readonly code: PeerWireErrorCode

  constructor(code: PeerWireErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PeerWireError'
    this.code = code
  }
}
