import type { HashPool, Metainfo, PieceSpec } from '@p2p/metainfo'
import type { PeerAddress } from '@p2p/peer-address'
import type { Wire } from '@p2p/peer-wire'
import type { TrackerClient } from '@p2p/tracker-client'
import type { Bitfield } from './bitfield.js'
import { Choker } from './choker.js'
import { PeerBook } from './peer-book.js'
import type { PieceBufferPool } from './piece-buffer-pool.js'
import type { PeerPieces, PiecePicker } from './piece-picker.js'
import type { PieceReadCache } from './piece-read-cache.js'
import { TokenBucket } from './rate-limiter.js'
import { RateMeter } from './rate-meter.js'
import type { Storage } from './storage.js'
import type { SuperSeeder } from './super-seed.js'
import type { Torrent } from './torrent.js'
import type { AddOptions, TorrentEvents } from './torrent-types.js'

/** What a torrent needs from its client (internal). */
export interface ClientContext {
  peerId: Uint8Array
  port(): number
  hashPool(): HashPool
  upload: TokenBucket
  download: TokenBucket
  /** Whether one more connection fits the client's global limit. */
  canConnect(): boolean
  connectionOpened(): void
  connectionClosed(): void
  /** Whether the address is this client's own listening address. */
  isSelf(addr: PeerAddress): boolean
  /** Called once the torrent is destroyed. */
  removed(t: Torrent): void
}

/** Where a torrent's identity comes from before metadata is known. */
export interface TorrentSource {
  metainfo?: Metainfo
  infoHashBytes: Uint8Array
  infoHash: string
  name?: string
  trackers: string[][]
  peers: PeerAddress[]
  /** Root directory that file paths are placed below. */
  dir: string
  /** Map the torrent's root name to another (seeding a file or folder under another name). */
  rootName?: string
  /** Every piece on disk is known good (we just created the torrent from these files). */
  trustAll?: boolean
  magnet?: string
}

/** One connection of a torrent (internal). */
export interface Peer {
  wire: Wire
  addr: PeerAddress
  /** The address it accepts connections on (dialed address, or remote ip + extended handshake `p`). */
  listen?: PeerAddress
  incoming: boolean
  handshaken: boolean
  haveAll: boolean
  counted: boolean
  /** What was added to the availability counts for this peer (removed exactly on close or a new bitfield). */
  countedBits?: Bitfield | 'all'
  allowedFast: Set<number>
  suggested: number[]
  /** Failed pieces it sent blocks of. */
  strikes: number
  /** It sent part of a failed piece: it gets whole pieces of its own (see `PiecePicker.pick`). */
  parole?: boolean
  banned: boolean
  /** Closed because we are both seeds. */
  bothSeeds?: boolean
  /** Closed to make room for a peer of higher BEP 40 rank. */
  evicted?: boolean
  pexSent: Set<string>
  down: RateMeter
  up: RateMeter
}

/** An unfinished piece being received (internal). */
export interface PieceBuffer {
  data: Uint8Array
  from: Set<Peer>
}

/** Emits one of the torrent's typed events. */
export type EmitFn = <E extends keyof TorrentEvents>(event: E, ...args: Parameters<TorrentEvents[E]>) => void

/**
 * Everything one torrent holds, shared by the files that implement it (connections, requests,
 * verification, uploads, metadata, announce, resume). Internal: the public face is {@link Torrent}.
 */
export class TorrentState {
  readonly ctx: ClientContext
  readonly opts: AddOptions
  readonly src: TorrentSource
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly emit: EmitFn
  readonly book = new PeerBook()
  readonly peers = new Set<Peer>()
  readonly buffers = new Map<number, PieceBuffer>()
  pool: PieceBufferPool | undefined
  readonly banned = new Set<string>()
  readonly choker: Choker
  readonly upload: TokenBucket
  readonly download: TokenBucket
  readonly downMeter = new RateMeter()
  readonly upMeter = new RateMeter()
  readonly abort = new AbortController()
  readonly timers: ReturnType<typeof setInterval>[] = []
  resolveDone!: () => void
  meta: Metainfo | undefined
  specs: PieceSpec[] = []
  storage: Storage | undefined
  picker: PiecePicker | undefined
  tracker: TrackerClient | undefined
  fetchingMetadata = false
  /** Metadata of a v2-only magnet waiting for its piece layers (no peer gave them yet). */
  pendingMeta: Metainfo | undefined
  /** Peers already asked for piece layers (not asked again). */
  readonly layersTried = new WeakSet<Peer>()
  finished = false
  destroyed = false
  /** Stopped downloading after a storage failure. */
  halted = false
  dirty = false
  /** Pieces taken as had from the resume file without being hashed. */
  resumedPieces = 0
  downloaded = 0
  uploaded = 0
  wantedBytes = 0
  haveBytes = 0
  dialTimer: ReturnType<typeof setTimeout> | undefined
  pexTimer: ReturnType<typeof setTimeout> | undefined
  /** Whole pieces read for uploads (uploads.ts). */
  readCache: PieceReadCache | undefined
  /** Outgoing connections being opened. */
  pending = 0
  /** Bytes of unfinished pieces held in memory (receiving, writing or hashing). */
  buffered = 0
  /** BEP 16 state while super-seeding (see seeding.ts). */
  superSeeder: SuperSeeder<Peer> | undefined
  /** Our address as peers see it (the local end of a connection), for BEP 40 ranks. */
  localHost: string | undefined
  /** Priority of each file, 0 (skip) to 7 (set up with the metadata). */
  filePriorities: number[] = []
  /** File priorities set before the storage was ready, applied once it is. */
  readonly pendingPriorities = new Map<number, number>()

  constructor(ctx: ClientContext, src: TorrentSource, opts: AddOptions, emit: EmitFn) {
    this.ctx = ctx
    this.src = src
    this.opts = opts
    this.emit = emit
    this.infoHash = src.infoHash
    this.infoHashBytes = src.infoHashBytes
    this.choker = new Choker({ slots: opts.uploadSlots })
    this.upload = new TokenBucket(opts.uploadLimit ?? 0, { parent: ctx.upload })
    this.download = new TokenBucket(opts.downloadLimit ?? 0, { parent: ctx.download })
  }

  /** Bytes still wanted (1 before the metadata is known, so trackers do not count us as a seed). */
  left(): number {
    return this.meta ? Math.max(0, this.wantedBytes - this.haveBytes) : 1
  }
}

/** What a peer has, as the picker takes it. */
export function peerBits(peer: Peer): PeerPieces | 'all' {
  return peer.haveAll || peer.wire.peerHasAll ? 'all' : peer.wire.peerPieces
}

/** Whether the peer has every piece. */
export function isSeed(s: TorrentState, peer: Peer): boolean {
  if (peer.haveAll) return true
  const n = s.meta?.pieceCount
  if (!n) return false
  for (let i = 0; i < n; i++) if (!peer.wire.peerPieces.get(i)) return false
  return true
}

/** What the wire checks requests against (v2-only pieces vary in size: only the count then). */
export function wireGeometry(meta: Metainfo): {
  pieceCount: number
  pieceLength?: number
  length?: number
  metadata: Uint8Array
} {
  const last = meta.files[meta.files.length - 1]
  const space = last ? last.offset + last.length : 0
  return meta.version === 2
    ? { pieceCount: meta.pieceCount, metadata: meta.info }
    : { pieceCount: meta.pieceCount, pieceLength: meta.pieceLength, length: space, metadata: meta.info }
}
