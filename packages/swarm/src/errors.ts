/**
 * Stable error codes of `@p2p/swarm`. Codes are public API: changing one is a breaking change.
 */
export type SwarmErrorCode =
  /** An option or argument is invalid (bad port, bad piece index, unknown torrent input...). */
  | 'SWARM_INVALID_ARGUMENT'
  /** A file path of the torrent would leave the target directory (`..`, absolute path, NUL...). */
  | 'SWARM_PATH_TRAVERSAL'
  /** Reading or writing the torrent's files failed (disk full, permissions...); `cause` holds the fs error. */
  | 'SWARM_STORAGE'
  /** A read or write range lies outside the torrent's piece space. */
  | 'SWARM_OUT_OF_RANGE'
  /** The resume file is unreadable, for another torrent, or malformed (it is then ignored). */
  | 'SWARM_BAD_RESUME'
  /** The torrent input (bytes, magnet or path) cannot be loaded. */
  | 'SWARM_BAD_TORRENT'
  /** The torrent is already in this client. */
  | 'SWARM_DUPLICATE_TORRENT'
  /** The client or torrent was closed, or the operation was cancelled through its `AbortSignal`. */
  | 'SWARM_ABORTED'
  /** Listening on the TCP port failed. */
  | 'SWARM_LISTEN'
  /** A piece failed its hash check. */
  | 'SWARM_HASH_MISMATCH'
  /** No peer gave a v2 torrent's piece layers (BEP 52 hash requests) that hash to the file's pieces root. */
  | 'SWARM_PIECE_LAYERS'
  /** A .torrent could not be fetched from its http(s) URL (network, HTTP status, size bound, timeout). */
  | 'SWARM_TORRENT_URL'
  /** A web seed (BEP 19) failed: an HTTP error status, a short or long body, a timeout. */
  | 'SWARM_WEB_SEED'
  /** The torrent's internal state is inconsistent (`torrent.checkInvariants`: a bug, never bad input). */
  | 'SWARM_INVARIANT'

/**
 * The one error class of `@p2p/swarm`: every failure, thrown or emitted, carries a stable
 * {@link SwarmErrorCode}.
 *
 * @example
 * ```ts
 * try {
 *   await client.add(bytes, { path: './downloads' })
 * } catch (err) {
 *   if (err instanceof SwarmError && err.code === 'SWARM_BAD_TORRENT') console.error(err.message)
 * }
 * ```
 */
export class SwarmError extends Error {
  /** Stable machine-readable error code. */
  readonly code: SwarmErrorCode

  constructor(code: SwarmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SwarmError'
    this.code = code
  }
}

/** The AbortSignal's reason as a `SWARM_ABORTED` error (kept as `cause`). */
export function abortError(signal: AbortSignal | undefined, what = 'operation'): SwarmError {
  return new SwarmError('SWARM_ABORTED', `${what} aborted`, { cause: signal?.reason })
}
