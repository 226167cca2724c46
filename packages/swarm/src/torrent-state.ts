import type { Metainfo } from '@p2p/metainfo'
import type { TrackerClient } from '@p2p/tracker-client'
import { Choker } from './choker.js'
import type { ClientContext, TorrentSource } from './client-context.js'
import { PeerBook } from './peer-book.js'
import type { PeerSession } from './peer-session.js'
import type { PeerPieces } from './piece-picker.js'
import { TokenBucket } from './rate-limiter.js'
import { RateMeter } from './rate-meter.js'
import type { SwarmRuntime } from './runtime.js'
import { Selection } from './selection.js'
import type { SuperSeeder } from './super-seed.js'
import type { TorrentCore } from './torrent-core.js'
import type { AddOptions, TorrentEvents } from './torrent-types.js'
import { type TurnHandlers, TurnWork } from './turn-work.js'

/** BEP 55 rendezvous requests for one address we failed to dial (holepunch.ts). */
export interface Rendezvous {
  /** When we last asked a relay. */
  askedAt: number
  /** Relays asked since the last failed dial. */
  tried: Set<Peer>
  /** The relay whose answer is due, or that answered `connect` or NoSupport. */
  pending?: Peer
  /** Punches that failed since the last failed dial (holepunch.ts `punchFailed`). */
  punchFailures: number
}

/** One connection of a torrent (internal): the session that alone talks to its wire. */
export type Peer = PeerSession

/** Emits one of the torrent's typed events. */
export type EmitFn = <E extends keyof TorrentEvents>(event: E, ...args: Parameters<TorrentEvents[E]>) => void

/**
 * What one torrent holds before and after its metadata (peers, bans, limits, meters, trackers,
 * dialing, selection), shared by the files that implement it; the torrent phase is its `core`.
 * Internal: the public face is {@link Torrent}.
 */
export class TorrentState {
  readonly ctx: ClientContext
  readonly opts: AddOptions
  readonly src: TorrentSource
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly emit: EmitFn
  readonly rt: SwarmRuntime
  readonly book: PeerBook
  readonly peers = new Set<Peer>()
  readonly banned = new Set<string>()
  readonly choker: Choker
  readonly upload: TokenBucket
  readonly download: TokenBucket
  readonly downMeter: RateMeter
  readonly upMeter: RateMeter
  readonly abort = new AbortController()
  /** Top-ups, interest, `have` broadcasts and unchokes that events asked for, applied once per turn. */
  readonly work: TurnWork<Peer>
  /** File priorities, wanted and verified bytes, finished. */
  readonly selection: Selection
  /** Stops the torrent's periodic work (see `every`). */
  readonly timers: (() => void)[] = []
  resolveDone!: () => void
  /**
   * The metainfo once known: from the .torrent, or fetched (a magnet). Set when setup starts, before
   * the storage is checked and the {@link TorrentCore} exists.
   */
  meta: Metainfo | undefined
  /** The torrent phase: set once the metadata is known and the storage is checked, never unset. */
  core: TorrentCore | undefined
  /** Setup with the metainfo (storage opened and checked), once started. */
  settingUp: Promise<void> | undefined
  tracker: TrackerClient | undefined
  destroyed = false
  /** Paused: no connections, no trackers, no web seeds (see lifecycle.ts). */
  paused = false
  /** The first inconsistency the runtime's checks found (see `Torrent.checkInvariants`). */
  violation: string | undefined
  downloaded = 0
  uploaded = 0
  dialTimer: unknown
  /** Runs a dial round now; set by the torrent (the dialer is peer-connections.ts, which imports this file's users). */
  dialSoon: () => void = () => {}
  /** Fetches the metadata from a peer that connected (a magnet); set by the torrent, which owns the metadata phase. */
  fetchMetadata: (peer: Peer) => void = () => {}
  pexTimer: unknown
  /** Outgoing connections being opened. */
  pending = 0
  /** Per address we failed to dial: the BEP 55 rendezvous requests for it (holepunch.ts). */
  readonly rendezvous = new Map<string, Rendezvous>()
  /** Rendezvous requests we sent to relays. */
  rendezvousAsked = 0
  /** Rendezvous we relayed (sent `connect` to both peers). */
  holepunchesRelayed = 0
  /** uTP dials started on a `connect` from a relay. */
  holepunchesStarted = 0
  /** Of those, the dials that connected. */
  holepunchesConnected = 0
  /** BEP 16 state while super-seeding (see seeding.ts). */
  superSeeder: SuperSeeder<Peer> | undefined
  /** Our address as peers see it (the local end of a connection), for BEP 40 ranks. */
  localHost: string | undefined

  constructor(
    ctx: ClientContext,
    src: TorrentSource,
    opts: AddOptions,
    emit: EmitFn,
    handlers: (s: TorrentState) => TurnHandlers<Peer>,
  ) {
    this.ctx = ctx
    this.src = src
    this.opts = opts
    this.emit = emit
    this.infoHash = src.infoHash
    this.infoHashBytes = src.infoHashBytes
    const rt = ctx.runtime
    this.rt = rt
    const now = () => rt.clock.now()
    this.book = new PeerBook({ now })
    this.downMeter = new RateMeter(now)
    this.upMeter = new RateMeter(now)
    this.choker = new Choker({ slots: opts.uploadSlots, random: rt.random })
    this.upload = new TokenBucket(opts.uploadLimit ?? 0, { parent: ctx.upload, clock: rt.clock })
    this.download = new TokenBucket(opts.downloadLimit ?? 0, { parent: ctx.download, clock: rt.clock })
    this.work = new TurnWork(rt.defer?.bind(rt) ?? queueMicrotask, handlers(this))
    this.selection = new Selection()
  }
}

/** What a peer has, as the picker takes it (a have-all ends with its first donthave). */
export function peerBits(peer: Peer): PeerPieces | 'all' {
  return peer.haveAll ? 'all' : peer.peerPieces
}

/** Whether the peer has every piece of `pieceCount`. */
export function isSeed(peer: Peer, pieceCount: number): boolean {
  if (peer.haveAll) return true
  if (!pieceCount) return false
  for (let i = 0; i < pieceCount; i++) if (!peer.peerPieces.get(i)) return false
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
