import type { Logger } from './logger.js'
import type { PeerStore } from './peer-store.js'
import type { RateLimitOptions } from './rate-limit.js'

/** Default announce interval sent to clients, seconds. */
export const DEFAULT_INTERVAL_S = 1800
/** Default `min interval` sent to clients, seconds. */
export const DEFAULT_MIN_INTERVAL_S = 300
/** Default peers returned when the client does not say (`numwant` absent, or -1 over UDP). */
export const DEFAULT_NUMWANT = 50
/** Default cap on `numwant`. */
export const DEFAULT_MAX_NUMWANT = 200
/** Default most info hashes in one HTTP scrape (UDP is bounded by its packet size, 74). */
export const DEFAULT_MAX_SCRAPE_HASHES = 128
/** Default most torrents in a full scrape (an HTTP scrape without `info_hash`, BEP 48). */
export const DEFAULT_MAX_FULL_SCRAPE = 10_000
/** Default time a full scrape's answer is reused, ms (full scrapes are the most expensive request). */
export const DEFAULT_FULL_SCRAPE_CACHE_MS = 5000
/** Default bound on a UDP request datagram, bytes (an announce with BEP 41 options included). */
export const DEFAULT_MAX_UDP_PACKET = 2048
/** Default time an HTTP client has to send its request headers, ms (slow-loris bound). */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000
/** Default idle time before a keep-alive HTTP connection is closed, ms. */
export const DEFAULT_KEEP_ALIVE_MS = 30_000
/** Default bound on simultaneous HTTP connections per listening address. */
export const DEFAULT_MAX_CONNECTIONS = 10_000
/** Default bound on HTTP request header bytes (the query string included). */
export const DEFAULT_MAX_HEADER_BYTES = 8192
/** Default time `close()` waits for in-flight HTTP requests before cutting connections, ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 3000

/** Options of {@link createTrackerServer}. Every bound on what clients control has a default. */
export interface TrackerServerOptions {
  /** Address(es) to listen on; the first one is used in the announce URLs (default `127.0.0.1`). */
  host?: string | string[]
  /** HTTP port (0 or absent = any free port). */
  httpPort?: number
  /** UDP port (absent = the HTTP port when it is free for UDP too, else any; 0 = any). */
  udpPort?: number
  /** Serve HTTP (default true). */
  http?: boolean
  /** Serve UDP, BEP 15 (default true). */
  udp?: boolean
  /** Where swarms are kept (default a new {@link MemoryStore}, closed with the server). */
  store?: PeerStore
  /** Close `store` in `close()` (default: only when the server created it). */
  closeStore?: boolean
  /** Announce interval sent to clients, seconds (default {@link DEFAULT_INTERVAL_S}). */
  interval?: number
  /** `min interval` sent to HTTP clients, seconds (default {@link DEFAULT_MIN_INTERVAL_S}). */
  minInterval?: number
  /** Peers returned by default (default {@link DEFAULT_NUMWANT}). */
  defaultNumwant?: number
  /** Cap on the peers returned (default {@link DEFAULT_MAX_NUMWANT}). */
  maxNumwant?: number
  /** Info hashes (40 hex) allowed, or a predicate; absent = every torrent is tracked. */
  allowList?: Iterable<string> | ((infoHashHex: string) => boolean)
  /** Per-IP rate limit; `false` disables it (default {@link RateLimitOptions} defaults). */
  rateLimit?: RateLimitOptions | false
  /** `tracker id` sent in HTTP announce answers (default: random per server). */
  trackerId?: string
  /** `warning message` added to every HTTP announce answer (an operator notice). */
  warning?: string
  /** Most info hashes per HTTP scrape (default {@link DEFAULT_MAX_SCRAPE_HASHES}). */
  maxScrapeHashes?: number
  /**
   * Answer an HTTP scrape without `info_hash` with every torrent (BEP 48 full scrape, as opentracker
   * does), at most `maxFullScrape` of them (default true; false refuses it with a failure reason).
   */
  fullScrape?: boolean
  /** Most torrents in a full scrape (default {@link DEFAULT_MAX_FULL_SCRAPE}). */
  maxFullScrape?: number
  /**
   * A full scrape's answer is reused for this long, ms, so repeated full scrapes cost one store walk and
   * one encoding (default {@link DEFAULT_FULL_SCRAPE_CACHE_MS}; 0 = always fresh).
   */
  fullScrapeCacheMs?: number
  /** Accept the `ip` / `ipv4` / `ipv6` query fields and the UDP IP field instead of the source address (default false). */
  trustIpParam?: boolean
  /** Bound on a UDP datagram, bytes (default {@link DEFAULT_MAX_UDP_PACKET}). */
  maxUdpPacket?: number
  /** Secret of the UDP connection-id MAC (processes sharing a port must share it; default random). */
  connectionSecret?: Uint8Array
  /** Time allowed to send the request headers, ms (default {@link DEFAULT_HTTP_TIMEOUT_MS}). */
  httpTimeout?: number
  /** Keep-alive idle timeout, ms (default {@link DEFAULT_KEEP_ALIVE_MS}). */
  keepAliveTimeout?: number
  /** Bound on simultaneous HTTP connections per address (default {@link DEFAULT_MAX_CONNECTIONS}). */
  maxConnections?: number
  /** Bound on request header bytes (default {@link DEFAULT_MAX_HEADER_BYTES}). */
  maxHeaderBytes?: number
  /** Grace period of `close()` for in-flight HTTP requests, ms (default {@link DEFAULT_CLOSE_TIMEOUT_MS}). */
  closeTimeout?: number
  /** Structured logs (default: none). See {@link jsonLogger}. */
  logger?: Logger
  /** Closes the server when aborted. */
  signal?: AbortSignal
}
