/**
 * BitTorrent tracker server: HTTP announce/scrape (BEP 3, 7, 23, 48) and UDP (BEP 15, 41) on one
 * process, over a {@link PeerStore}: {@link MemoryStore} (default, bounded, expiring) or
 * {@link RedisStore} (several processes share one swarm view). Per-IP rate limit, allow-list, `/stats`
 * JSON and Prometheus `/metrics`, graceful shutdown through an AbortSignal.
 *
 * @example
 * ```ts
 * import { createTrackerServer } from '@p2p/tracker-server'
 * const server = createTrackerServer({ host: '127.0.0.1' })
 * const { httpUrl, udpUrl } = await server.listen()
 * ```
 * @packageDocumentation
 */

export { MAX_KEY_LENGTH, normalizeKey } from './announce-request.js'
export { type ClusterOptions, runCluster, type TrackerCluster } from './cluster.js'
export { CONNECTION_ID_SLOT_MS, ConnectionIds } from './connection-id.js'
export type { AnnounceInfo, FailureInfo, TrackerServerEvents } from './core.js'
export { TrackerServerError, type TrackerServerErrorCode } from './errors.js'
export { jsonLogger, type LogEntry, type Logger, type LogLevel, silentLogger } from './logger.js'
export {
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_PEERS_PER_TORRENT,
  DEFAULT_MAX_TORRENTS,
  DEFAULT_PEER_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  MemoryStore,
  type MemoryStoreOptions,
} from './memory-store.js'
export * from './options.js'
export type {
  AnnounceEvent,
  MaybePromise,
  PeerStore,
  ScrapeEntry,
  StoreAnnounce,
  StoreAnnounceResult,
  StoredPeer,
  StoreTotals,
  SwarmCounts,
} from './peer-store.js'
export {
  DEFAULT_RATE_BURST,
  DEFAULT_RATE_LIMIT,
  DEFAULT_RATE_MAX_CLIENTS,
  type RateLimitOptions,
} from './rate-limit.js'
export {
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  DEFAULT_REDIS_PREFIX,
  REDIS_ANNOUNCE_BATCH,
  RedisStore,
  type RedisStoreOptions,
} from './redis-store.js'
export { DEFAULT_SHARD_TIMEOUT_MS, shardOf } from './sharded-store.js'
export { ANNOUNCE_RATE_WINDOW_S, type Protocol, type TrackerStats } from './stats.js'
export { createTrackerServer, type ListenInfo, TrackerServer } from './tracker-server.js'
export { UDP_MAX_SCRAPE, UDP_PROTOCOL_ID } from './udp.js'
