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
export { SwarmError, type SwarmErrorCode } from './errors.js'
export { DEFAULT_MAX_OPEN_FILES, FileHandleCache } from './file-handle-cache.js'
export {
  BLOCK_SIZE,
  type BlockArrival,
  type BlockRequest,
  DEFAULT_RANDOM_FIRST,
  MAX_PIPELINE,
  MIN_PIPELINE,
  type PeerPieces,
  type PickStrategy,
  PiecePicker,
  type PiecePickerOptions,
  pipelineDepth,
  REQUEST_QUEUE_SECONDS,
} from './piece-picker.js'
export { TokenBucket } from './rate-limiter.js'
export {
  DEFAULT_RESUME_INTERVAL_MS,
  MAX_RESUME_BYTES,
  RESUME_FORMAT,
  type ResumeData,
  readResumeFile,
  trustedPieces,
  writeResumeFile,
} from './resume-file.js'
export { confinedPath, type FileState, Storage, type StorageFile, type StorageOptions } from './storage.js'
