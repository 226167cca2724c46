import type { PeerAddress } from '@p2p/peer-address'

/** The `event` of an announce (BEP 3). `'none'` (or leaving it out) is a regular re-announce. */
export type AnnounceEvent = 'none' | 'started' | 'completed' | 'stopped'

/** What one announce tells the tracker. Byte counts may be `number` or `bigint`. */
export interface AnnounceParams {
  /** The 20-byte info hash (v1 SHA-1, or a v2 hash truncated to 20 bytes). */
  infoHash: Uint8Array
  /** Our 20-byte peer id. */
  peerId: Uint8Array
  /** The TCP port we accept peer connections on (1..65535). */
  port: number
  /** Bytes uploaded so far. Default 0. */
  uploaded?: number | bigint
  /** Bytes downloaded so far. Default 0. */
  downloaded?: number | bigint
  /** Bytes still missing. Default 0. */
  left?: number | bigint
  /** The event, default `'none'`. */
  event?: AnnounceEvent
  /** How many peers we want; default: left to the tracker (UDP sends -1). */
  numwant?: number
  /** A random 32-bit value that stays the same for the whole torrent session (BEP 7, BEP 15). */
  key?: number
  /** The `tracker id` a previous answer of this tracker gave us; echoed back as `trackerid` (HTTP only). */
  trackerId?: string
}

/** A tracker's answer to an announce. */
export interface AnnounceResponse {
  /** Seconds to wait before the next regular announce. */
  interval: number
  /** Seconds the tracker asks us to wait at least between any two announces, when given. */
  minInterval: number | undefined
  /** Seeders in the swarm, when given. */
  complete: number | undefined
  /** Leechers in the swarm, when given. */
  incomplete: number | undefined
  /** IPv4 and IPv6 peers (compact `peers`, dictionary `peers`, and BEP 7 `peers6`), deduplicated and bounded. */
  peers: PeerAddress[]
  /** The `tracker id` to echo in later announces, when given (HTTP only). */
  trackerId: string | undefined
  /** The tracker's `warning message`, when given. */
  warning: string | undefined
}

/** Swarm numbers of one torrent from a scrape. */
export interface ScrapeStats {
  /** Seeders. */
  complete: number
  /** Leechers. */
  incomplete: number
  /** Times the torrent was completed (snatches). */
  downloaded: number
}

/** A tracker's answer to a scrape. */
export interface ScrapeResponse {
  /** Numbers per torrent, keyed by the lower-case hex info hash. Torrents the tracker does not know are absent. */
  files: Map<string, ScrapeStats>
}

/** How UDP requests are retransmitted (BEP 15 "Time outs"). */
export interface UdpRetransmitOptions {
  /** The first wait, in ms: the spec's 15 s. Each retransmission doubles it. */
  baseMs?: number
  /** The largest exponent n in `base * 2^n`: the spec's 8 (3840 s). */
  maxExponent?: number
}

/** Options of a one-shot {@link announce} or {@link scrape}. */
export interface RequestOptions {
  /** Cancels the request; it then rejects with `TRACKER_ABORTED`. */
  signal?: AbortSignal
  /** Time allowed for the whole request, in ms (all redirects or UDP retransmissions included). Default 30 s. */
  timeout?: number
  /** Largest HTTP response body (or UDP datagram) accepted, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /** Most peers kept from one response; the rest are dropped. Default 2000. */
  maxPeers?: number
  /** Most HTTP redirects followed. Default 3. */
  maxRedirects?: number
  /** UDP retransmission schedule; the overall `timeout` still bounds it. */
  udpRetransmit?: UdpRetransmitOptions
  /**
   * Send the path and query of a UDP URL as a BEP 41 URLData option. Default `true` (only sent when the
   * URL has a path other than `/` or a query).
   */
  udpUrlData?: boolean
  /** TLS settings for `https:` trackers (a private CA, or `rejectUnauthorized: false` for self-signed ones). */
  tls?: TlsOptions
}

/** TLS settings for `https:` trackers. */
export interface TlsOptions {
  /** Certificates to trust instead of the default CA list (PEM). */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[]
  /** Verify the tracker's certificate. Default `true`. */
  rejectUnauthorized?: boolean
}
