import type { Metainfo, PieceSpec } from '@p2p/metainfo'
import type { PeerSession } from './peer-session.js'
import type { PiecePicker } from './piece-picker.js'
import { PieceReadCache } from './piece-read-cache.js'
import { PieceStore } from './piece-store.js'
import { ResumeState } from './resume-state.js'
import type { TorrentStorage } from './runtime.js'
import type { Selection } from './selection.js'

/** Bytes of whole pieces kept in memory for uploads by default (each read once, served block by block). */
const READ_CACHE_BYTES = 8 * 2 ** 20

/** What a {@link TorrentCore} is built from once the metadata is known and the storage is open. */
export interface TorrentCoreParts {
  readonly meta: Metainfo
  readonly specs: readonly PieceSpec[]
  readonly storage: TorrentStorage
  readonly picker: PiecePicker
  readonly selection: Selection
  /** Bound on bytes of unfinished pieces in memory. */
  readonly maxBufferedBytes: number
  /** Bytes of the upload read cache (default 8 MiB). */
  readonly readCacheBytes?: number
}

/**
 * The torrent phase (internal): what exists once the metadata is known and the storage is checked.
 * Geometry, storage, picker, piece store, read cache and selection are fixed for the torrent's life
 * and never `undefined`; before the metadata only sessions and the metadata phase exist.
 */
export class TorrentCore {
  /** The metainfo (its v2 piece layers complete). */
  readonly meta: Metainfo
  /** Each piece's place and hash. */
  readonly specs: readonly PieceSpec[]
  /** The files on disk (and the part file). */
  readonly storage: TorrentStorage
  /** What we have, want and ask peers for. */
  readonly picker: PiecePicker
  /** Buffers of unfinished pieces. */
  readonly store: PieceStore<PeerSession>
  /** Whole pieces read for uploads. */
  readonly readCache: PieceReadCache
  /** File priorities, wanted and verified bytes, finished. */
  readonly selection: Selection
  /** Whether the resume file is out of date, and what it let us skip hashing. */
  readonly resumeState = new ResumeState()
  #halted = false
  #checking: Promise<void> | undefined

  constructor(parts: TorrentCoreParts) {
    const { specs, storage } = parts
    this.meta = parts.meta
    this.specs = specs
    this.storage = storage
    this.picker = parts.picker
    this.selection = parts.selection
    this.store = new PieceStore(specs, parts.maxBufferedBytes)
    let bufferSize = 0
    for (const spec of specs) bufferSize = Math.max(bufferSize, spec.length)
    const cacheBytes = parts.readCacheBytes ?? READ_CACHE_BYTES
    this.readCache = new PieceReadCache({
      bufferSize,
      maxPieces: Math.max(1, Math.floor(cacheBytes / bufferSize)),
      maxFree: Math.max(1, Math.floor(cacheBytes / 2 / bufferSize)),
      length: (i) => specs[i]!.length,
      read: (i, into) => {
        const spec = specs[i]!
        return storage.read(spec.offset, spec.length, into)
      },
    })
  }

  /** Stopped downloading after a storage failure. */
  get halted(): boolean {
    return this.#halted
  }

  /** Stops downloading for good (a storage failure): no request goes out any more. */
  halt(): void {
    this.#halted = true
  }

  /** Whether a recheck of the data on disk runs (no requests meanwhile; see recheck.ts). */
  get checking(): boolean {
    return this.#checking !== undefined
  }

  /**
   * Runs `run` as the torrent's recheck, or joins the one running: {@link TorrentCore.checking} holds
   * until it settles.
   */
  check(run: () => Promise<void>): Promise<void> {
    this.#checking ??= run().finally(() => {
      this.#checking = undefined
    })
    return this.#checking
  }

  /**
   * Every block the peer owed goes back to the picker, and the buffers of pieces that were active only
   * for it go with them (a piece with no block yet is chosen afresh). With `cancel` (a choke under the
   * fast extension leaves requests open) each released request is cancelled on the wire first, so no
   * late block is copied into a buffer that the pool may hand to another piece.
   */
  release(peer: PeerSession, cancel = false): void {
    const { picker } = this
    const released = picker.releaseAll(peer)
    if (cancel) for (const r of released) peer.cancel(r.index, r.begin, r.length)
    this.store.reclaim((i) => picker.isActive(i))
  }

  /** Drops the buffers of pieces no longer active (their blocks were released). */
  reclaim(): void {
    const { picker } = this
    this.store.reclaim((i) => picker.isActive(i))
  }
}
