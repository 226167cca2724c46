/**
 * Stable error codes of `@p2p/tracker-client`. Codes are public API: changing one is a breaking change.
 */
export type TrackerClientErrorCode =
  /** The tracker did not answer within the time allowed (HTTP timeout, or every UDP retransmission lost). */
  | 'TRACKER_TIMEOUT'
  /** The connection was refused or reset, or the host could not be reached (ECONNREFUSED, ICMP unreachable...). */
  | 'TRACKER_REFUSED'
  /** The TLS handshake with an `https:` tracker failed (untrusted or expired certificate, wrong name...). */
  | 'TRACKER_TLS'
  /** The host name of the tracker could not be resolved. */
  | 'TRACKER_DNS'
  /** The answer is not a valid tracker response (bad bencode, HTML, truncated or malformed UDP packet). */
  | 'TRACKER_BAD_RESPONSE'
  /** The response is larger than `maxResponseBytes`. */
  | 'TRACKER_RESPONSE_TOO_LARGE'
  /** The HTTP tracker answered with a non-2xx status and no bencoded `failure reason`. */
  | 'TRACKER_HTTP_STATUS'
  /** Too many redirects, or a redirect to a URL we cannot follow. */
  | 'TRACKER_REDIRECT'
  /** The tracker refused the request with a `failure reason` (HTTP) or an error packet (UDP). */
  | 'TRACKER_FAILURE_REASON'
  /** The tracker URL cannot be used (bad syntax, unsupported scheme, missing port for UDP). */
  | 'TRACKER_INVALID_URL'
  /** The announce or scrape parameters are invalid (info hash or peer id not 20 bytes, bad port...). */
  | 'TRACKER_INVALID_PARAMS'
  /** No scrape URL can be derived from this announce URL (BEP 48: the last path segment must start with `announce`). */
  | 'TRACKER_SCRAPE_UNSUPPORTED'
  /** The operation was cancelled through its `AbortSignal` (or the client was stopped). */
  | 'TRACKER_ABORTED'
  /** Every tracker of every tier failed for one announce; `cause` holds the last failure. */
  | 'TRACKER_ALL_FAILED'
  /** The torrent has no tracker URL at all. */
  | 'TRACKER_NO_TRACKERS'

/**
 * The one error class of `@p2p/tracker-client`: every failure, thrown or emitted, carries a stable
 * {@link TrackerClientErrorCode} and, when known, the tracker URL it concerns.
 *
 * @example
 * ```ts
 * try {
 *   await announce(url, params)
 * } catch (err) {
 *   if (err instanceof TrackerClientError && err.code === 'TRACKER_FAILURE_REASON') console.log(err.message)
 * }
 * ```
 */
export class TrackerClientError extends Error {
  /** Stable machine-readable error code. */
  readonly code: TrackerClientErrorCode
  /** The tracker URL the failure concerns, when there is one. */
  readonly url: string | undefined
  /** For `TRACKER_HTTP_STATUS`: the HTTP status code. */
  readonly status: number | undefined

  constructor(
    code: TrackerClientErrorCode,
    message: string,
    options: { url?: string; cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TrackerClientError'
    this.code = code
    this.url = options.url
    this.status = options.status
  }
}

/** Whether `err` is a {@link TrackerClientError} with one of `codes` (any code when none given). */
export function isTrackerError(err: unknown, ...codes: TrackerClientErrorCode[]): err is TrackerClientError {
  return err instanceof TrackerClientError && (codes.length === 0 || codes.includes(err.code))
}
