/**
 * Stable error codes of `@p2p/tracker-server`. Codes are public API: changing one is a breaking change.
 * The `TRACKER_SERVER_BAD_*` codes are announce/scrape refusals: they are answered to the client as a
 * `failure reason` (HTTP) or an error packet (UDP), never thrown out of the server.
 */
export type TrackerServerErrorCode =
  /** A required query field or UDP field is missing. */
  | 'TRACKER_SERVER_MISSING_FIELD'
  /** A field has the wrong length or format (info_hash / peer_id not 20 bytes, bad percent-encoding, bad number). */
  | 'TRACKER_SERVER_BAD_FIELD'
  /** Port 0 or a port outside 1..65535. */
  | 'TRACKER_SERVER_BAD_PORT'
  /** An unknown `event` value. */
  | 'TRACKER_SERVER_BAD_EVENT'
  /** The info hash is not on the allow-list. */
  | 'TRACKER_SERVER_NOT_ALLOWED'
  /** The client exceeded the per-IP request rate. */
  | 'TRACKER_SERVER_RATE_LIMITED'
  /** Too many info hashes in one scrape, or a full scrape while it is disabled. */
  | 'TRACKER_SERVER_BAD_SCRAPE'
  /** A UDP packet that is truncated, oversized, has an unknown action or a wrong/expired connection id. */
  | 'TRACKER_SERVER_BAD_PACKET'
  /**
   * An announce for a peer id already recorded at another IP, without the `key` that peer announced with
   * (a peer that moves keeps its entry only by presenting its key).
   */
  | 'TRACKER_SERVER_PEER_CONFLICT'
  /** The peer store failed (Redis unreachable...). */
  | 'TRACKER_SERVER_STORE'
  /** Invalid server options. */
  | 'TRACKER_SERVER_BAD_OPTION'
  /** A socket could not be bound (port in use, address not available). */
  | 'TRACKER_SERVER_LISTEN'
  /** The server was closed or its AbortSignal fired. */
  | 'TRACKER_SERVER_CLOSED'
  /**
   * A feature needs an optional package that is not installed: `ioredis` ({@link RedisStore}) or
   * `prom-client` (`/metrics`). The message names the package to install.
   */
  | 'TRACKER_SERVER_MISSING_DEPENDENCY'

/**
 * The one error class of `@p2p/tracker-server`, with a stable {@link TrackerServerErrorCode}. Refusals of
 * bad requests carry the text sent back to the client as `message`.
 *
 * @example
 * ```ts
 * try { await server.listen() } catch (err) {
 *   if (err instanceof TrackerServerError && err.code === 'TRACKER_SERVER_LISTEN') console.error(err.message)
 * }
 * ```
 */
export class TrackerServerError extends Error {
  /** Stable machine-readable error code. */
  readonly code: TrackerServerErrorCode

  constructor(code: TrackerServerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrackerServerError'
    this.code = code
  }
}
