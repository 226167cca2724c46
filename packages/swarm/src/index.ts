/**
 * A BitTorrent client: a {@link Client} runs any number of {@link Torrent}s (download, seed, magnet
 * links, file selection, rate limits, resume files), verifying every piece (SHA-1 for v1, SHA-256
 * merkle trees for v2) on worker threads.
 *
 * @example
 * ```ts
 * import { Client } from '@p2p/swarm'
 *
 * const client = new Client()
 * const torrent = await client.add('magnet:?xt=urn:btih:...', { path: './downloads' })
 * torrent.on('piece', (e) => console.log(e.index, e.algorithm, e.ok))
 * await torrent.done
 * await client.close()
 * ```
 * @packageDocumentation
 */
export { Bitfield } from '@p2p/peer-wire'
export {
  CHOKE_INTERVAL_MS,
  Choker,
  type ChokerOptions,
  type ChokerPeer,
  DEFAULT_UPLOAD_SLOTS,
  OPTIMISTIC_ROUNDS,
} from './choker.js'
export {
  Client,
  type ClientEvents,
  type ClientOptions,
  DEFAULT_HASH_THREADS,
  DEFAULT_MAX_CONNECTIONS,
  INCOMING_HANDSHAKE_TIMEOUT_MS,
} from './client.js'
export {
  DHT_EAGER_INTERVAL_MS,
  DHT_FIRST_RETRY_MS,
  DHT_INTERVAL_MS,
  type DhtSourceOptions,
  useDht,
  useMappedAddress,
} from './dht-source.js'
export type {
  ConnectionEncryption,
  EncryptionLevel,
  EncryptionOptions,
  EncryptionPolicy,
  ResolvedEncryption,
} from './encryption.js'
export { SwarmError, type SwarmErrorCode } from './errors.js'
export { DEFAULT_MAX_OPEN_FILES, FileHandleCache } from './file-handle-cache.js'
export { DEFAULT_READAHEAD, type FileReadStreamOptions, READ_CHUNK } from './file-stream.js'
export { fileUrlPath } from './http-server.js'
export type { Limits } from './lifecycle.js'
export { LsdSource, lsdHashes } from './lsd-source.js'
export { type DialCandidates, PeerBook, type PeerSource } from './peer-book.js'
export { alignedBuffer } from './piece-buffer-pool.js'
export {
  BLOCK_SIZE,
  type BlockArrival,
  type BlockRequest,
  DEFAULT_PRIORITY,
  DEFAULT_RANDOM_FIRST,
  MAX_PIPELINE,
  MAX_PRIORITY,
  MIN_PIPELINE,
  type PeerPieces,
  type PickStrategy,
  PiecePicker,
  type PiecePickerOptions,
  pipelineDepth,
  REQUEST_QUEUE_SECONDS,
} from './piece-picker.js'
export { announcedPort, type PortMappingOption, startPortMapping } from './port-mapping.js'
export { TokenBucket } from './rate-limiter.js'
export { RATE_WINDOW_MS, RateMeter } from './rate-meter.js'
export {
  type PeerRequestView,
  planRequests,
  REFILL_BATCH,
  type RequestLimits,
  type RequestPlan,
} from './request-policy.js'
export {
  DEFAULT_RESUME_INTERVAL_MS,
  MAX_RESUME_BYTES,
  RESUME_FORMAT,
  type ReadResumeData,
  type ResumeData,
  readResumeFile,
  trustedPieces,
  writeResumeFile,
} from './resume-file.js'
export {
  dialStream,
  type HttpFetch,
  type SwarmRuntime,
  type SwarmTransport,
  type TorrentStorage,
  type TransportListener,
  type TransportStream,
} from './runtime.js'
export { STATE_DIR } from './state-dir.js'
export { confinedPath, type FileState, Storage, type StorageFile, type StorageOptions } from './storage.js'
export {
  DEFAULT_SUPER_SEED_PIECES,
  SUPER_SEED_STALL_MS,
  SuperSeeder,
  type SuperSeederOptions,
} from './super-seed.js'
export { systemRuntime } from './system-runtime.js'
export { Torrent } from './torrent.js'
export { TorrentFile } from './torrent-file.js'
export {
  type AddOptions,
  BAN_STRIKES,
  type BanEvent,
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_PEERS_PER_TORRENT,
  type PieceEvent,
  type SeedOptions,
  type SwarmWarning,
  type TorrentEvents,
  type TorrentStats,
} from './torrent-types.js'
export { MAX_TORRENT_URL_BYTES, TORRENT_URL_TIMEOUT_MS } from './torrent-url.js'
export {
  DEFAULT_TRANSPORTS,
  internetTransport,
  parseTransports,
  type Transport,
  transportOf,
  UTP_CONNECT_TIMEOUT_MS,
} from './transports.js'
export { type TurnHandlers, TurnWork } from './turn-work.js'
export type { DisconnectEvent, NoPeersEvent, TrackerErrorEvent, TrackerReplyEvent } from './ui-event-types.js'
export { DEFAULT_NO_PEERS_MS, TRANSFER_EVENT_INTERVAL_MS } from './ui-events.js'
export { type PieceCheck, verifyPiece } from './verifier.js'
export {
  DEFAULT_WEB_SEED_TIMEOUT_MS,
  WEB_SEED_BACKOFF_MS,
  WEB_SEED_JOB_BYTES,
  WEB_SEED_MAX_BACKOFF_MS,
  WEB_SEED_MAX_FAILURES,
  WEB_SEED_REQUESTS,
  type WebSeedInfo,
  type WebSeedState,
} from './web-seed.js'
