import type { Metainfo } from '@p2p/metainfo'
import type { PeerAddress } from '@p2p/peer-address'
import { Trackers } from './announce.js'
import { Choker } from './choker.js'
import type { ClientContext, TorrentSource } from './client-context.js'
import { lowestRanked, mayDialWhenFull } from './connection-slots.js'
import { Dialer } from './dialer.js'
import { InvariantChecks } from './invariant-checks.js'
import { MetadataPhase } from './metadata-fetch.js'
import type { PeerSource } from './peer-book.js'
import type { PeerSession } from './peer-session.js'
import { Pex } from './pex.js'
import type { PeerPieces } from './piece-picker.js'
import type { SwarmRuntime } from './runtime.js'
import { SuperSeeding } from './seeding.js'
import { Selection } from './selection.js'
import { Sessions } from './sessions.js'
import { TimerStops } from './timer-stops.js'
import type { TorrentCore } from './torrent-core.js'
import { TorrentPhase } from './torrent-phase.js'
import { type AddOptions, DEFAULT_MAX_PEERS_PER_TORRENT, type EmitFn } from './torrent-types.js'
import { Transfer } from './transfer.js'
import { type TurnHandlers, TurnWork } from './turn-work.js'

/** One connection of a torrent (internal): the session that alone talks to its wire. */
export type Peer = PeerSession

/**
 * How a torrent's owners reach the files that implement it (given to {@link TorrentState}'s
 * constructor, which these files import: passing them in keeps the imports one way).
 */
export interface TorrentWiring {
  /** How the work its events marked is applied, once per I/O turn. */
  turn(s: TorrentState): TurnHandlers<Peer>
  /** Dials a peer (for the {@link Dialer}'s rounds). */
  connect(s: TorrentState, addr: PeerAddress): void
  /** Adds a peer to dial. */
  addPeer(s: TorrentState, addr: PeerAddress, source: PeerSource): void
  /** Sets the torrent up once its metainfo is known. */
  setup(s: TorrentState, meta: Metainfo): Promise<void>
}

/**
 * What one torrent holds before and after its metadata, shared by the files that implement it: its
 * context and options, and the owners of its state (`phase`: metainfo, core and lifecycle flags;
 * `sessions`: connections and bans; `dialer`: dialing; `trackers`; `transfer`: limits and counts;
 * `selection`; `work`: what events marked for this turn; `metadata`: fetching a magnet's metainfo;
 * `checks`: the runtime's invariant checks). Every member is read-only: what changes is changed
 * through its owner. Internal: the public face is {@link Torrent}.
 */
export class TorrentState {
  readonly ctx: ClientContext
  readonly opts: AddOptions
  readonly src: TorrentSource
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly emit: EmitFn
  readonly rt: SwarmRuntime
  /** The metainfo, the torrent phase and the lifecycle flags (read through the getters below). */
  readonly phase = new TorrentPhase()
  /** The known peers, dials being opened, the next dial round, BEP 55 rendezvous. */
  readonly dialer: Dialer
  /** The open connections and the banned peers. */
  readonly sessions: Sessions
  readonly choker: Choker
  /** Rate limits, and the payload moved. */
  readonly transfer: Transfer
  readonly abort = new AbortController()
  /** Top-ups, interest, `have` broadcasts and unchokes that events asked for, applied once per turn. */
  readonly work: TurnWork<Peer>
  /** File priorities, wanted and verified bytes, finished. */
  readonly selection: Selection
  /** The tracker client: started, stopped and told of progress here only. */
  readonly trackers: Trackers
  /** Fetches the metainfo of a magnet (or the piece layers of a v2 .torrent) from peers. */
  readonly metadata: MetadataPhase
  /** The runtime's invariant checks and the first violation they found. */
  readonly checks: InvariantChecks
  /** Stops the torrent's periodic work (see `every`) and its other timers. */
  readonly timers = new TimerStops()
  /** Resolves when every selected piece is verified (never rejects). */
  readonly done: Promise<void>
  /** PEX rounds (BEP 11). */
  readonly pex: Pex
  /** BEP 16 super-seeding (the `superSeed` option). */
  readonly superSeeding: SuperSeeding
  readonly #wiring: TorrentWiring
  #resolveDone!: () => void

  constructor(ctx: ClientContext, src: TorrentSource, opts: AddOptions, emit: EmitFn, wiring: TorrentWiring) {
    this.ctx = ctx
    this.src = src
    this.opts = opts
    this.emit = emit
    this.#wiring = wiring
    this.infoHash = src.infoHash
    this.infoHashBytes = src.infoHashBytes
    const rt = ctx.runtime
    this.rt = rt
    this.checks = new InvariantChecks(rt.checks)
    this.done = new Promise<void>((r) => {
      this.#resolveDone = r
    })
    this.sessions = new Sessions(ctx.peerId)
    this.dialer = new Dialer(rt.clock, () => ctx.port(), {
      room: () => (opts.maxConnections ?? DEFAULT_MAX_PEERS_PER_TORRENT) - this.sessions.size,
      mayDialWhenFull: () => mayDialWhenFull(this),
      canConnect: () => ctx.canConnect(),
      lowestRank: () => lowestRanked(this)?.rank,
      connect: (addr) => wiring.connect(this, addr),
    })
    this.pex = new Pex(rt.clock, {
      sessions: this.sessions,
      book: this.dialer.book,
      isPrivate: () => this.meta?.private === true,
    })
    this.superSeeding = new SuperSeeding(opts.superSeed === true, rt)
    this.choker = new Choker({ slots: opts.uploadSlots, random: rt.random })
    this.transfer = new Transfer({ upload: opts.uploadLimit, download: opts.downloadLimit }, ctx, rt.clock)
    this.work = new TurnWork(rt.defer?.bind(rt) ?? queueMicrotask, wiring.turn(this))
    this.selection = new Selection()
    this.trackers = new Trackers({
      infoHashBytes: src.infoHashBytes,
      peerId: ctx.peerId,
      port: () => ctx.port(),
      announce: opts.announce,
      ownTiers: () => (this.meta?.announce.length ? this.meta.announce : src.trackers),
      left: () => this.selection.left(),
      emit,
      peers: (peers) => {
        for (const p of peers) wiring.addPeer(this, p, 'tracker')
      },
    })
    this.metadata = new MetadataPhase({
      signal: this.abort.signal,
      peers: this.sessions,
      trackers: src.trackers,
      warn: (warning) => emit('warning', warning),
    })
  }

  /** The metainfo once known (see {@link TorrentPhase.meta}). */
  get meta(): Metainfo | undefined {
    return this.phase.meta
  }

  /** The torrent phase, once set up (see {@link TorrentPhase.core}). */
  get core(): TorrentCore | undefined {
    return this.phase.core
  }

  /** Whether the torrent was destroyed. */
  get destroyed(): boolean {
    return this.phase.destroyed
  }

  /** Whether the torrent is paused. */
  get paused(): boolean {
    return this.phase.paused
  }

  /** The torrent's name (from the metainfo or the magnet's `dn`, else the info hash). */
  get name(): string {
    return this.meta?.name ?? this.src.name ?? this.infoHash
  }

  /** Resolves {@link TorrentState.done}. */
  resolveDone(): void {
    this.#resolveDone()
  }

  /** A peer connected before the metainfo is known: fetch it from that peer, then set up with it. */
  fetchMetadata(peer: Peer): void {
    void this.metadata.fetch(peer).then(async (meta) => {
      try {
        if (meta) await this.#wiring.setup(this, meta)
      } catch (err) {
        this.emit('warning', {
          message: `setting up ${this.name} failed: ${(err as Error).message}`,
          error: err,
        })
      }
    })
  }
}

/** What a peer has, as the picker takes it (a have-all ends with its first donthave). */
export function peerBits(peer: Peer): PeerPieces | 'all' {
  return peer.haveAll ? 'all' : peer.peerPieces
}

/** Whether the peer has every piece of `pieceCount`. */
export function isSeed(peer: Peer, pieceCount: number): boolean {
  if (peer.haveAll) return true
  return pieceCount > 0 && peer.peerPieces.hasAll(pieceCount)
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
