/**
 * BitTorrent tracker client: one-shot {@link announce} and {@link scrape} over HTTP(S) (BEP 3, 23, 7,
 * 48) and UDP (BEP 15, 41), and {@link TrackerClient}, which keeps one torrent announced to its BEP 12
 * tiers with back-off. Every failure is a {@link TrackerClientError} with a stable code.
 *
 * @example
 * ```ts
 * import { announce, TrackerClient } from '@p2p/tracker-client'
 * const res = await announce('http://127.0.0.1:6969/announce', { infoHash, peerId, port: 6881, left: 0 })
 * ```
 * @packageDocumentation
 */
export { announce, type OneShotOptions, scrape } from './announce.js'
export { isTrackerError, TrackerClientError, type TrackerClientErrorCode } from './errors.js'
export { DEFAULT_INTERVAL_S } from './http-response.js'
export { DEFAULT_MAX_REDIRECTS } from './http-tracker.js'
export {
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  INFO_HASH_LENGTH,
} from './params.js'
export { TrackerClient } from './tracker-client.js'
// Everything there is public: client options, events and their defaults.
export * from './tracker-client-options.js'
export { type TierEntry, TrackerTiers } from './tracker-tiers.js'
export { parseTrackerUrl, percentEncodeBytes, scrapeUrl, type TrackerProtocol } from './tracker-url.js'
export type {
  AnnounceEvent,
  AnnounceParams,
  AnnounceResponse,
  RequestOptions,
  ScrapeResponse,
  ScrapeStats,
  TlsOptions,
  UdpRetransmitOptions,
} from './types.js'
export { UDP_MAX_SCRAPE, UDP_PROTOCOL_ID } from './udp-protocol.js'
export {
  CONNECTION_ID_LIFETIME_MS,
  defaultUdpTransport,
  UDP_RETRANSMIT_BASE_MS,
  UDP_RETRANSMIT_MAX_EXPONENT,
  UdpTransport,
} from './udp-transport.js'
