/**
 * The BitTorrent client core: {@link Storage} (pieces <-> files), {@link PiecePicker} (rarest-first,
 * endgame), {@link Choker} (tit-for-tat), {@link TokenBucket} rate limits and resume files.
 * @packageDocumentation
 */
export { Bitfield } from './bitfield.js'
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
export { SwarmError, type SwarmErrorCode } from './errors.js'
export { DEFAULT_MAX_OPEN_FILES, FileHandleCache } from './file-handle-cache.js'
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
export { TokenBucket } from './rate-limiter.js'
export { RATE_WINDOW_MS, RateMeter } from './rate-meter.js'
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
export { STATE_DIR } from './state-dir.js'
export { confinedPath, type FileState, Storage, type StorageFile, type StorageOptions } from './storage.js'
export {
  DEFAULT_SUPER_SEED_PIECES,
  SUPER_SEED_STALL_MS,
  SuperSeeder,
  type SuperSeederOptions,
} from './super-seed.js'
export { Torrent } from './torrent.js'
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
export { type PieceCheck, verifyPiece } from './verifier.js'
