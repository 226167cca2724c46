import type { Metainfo } from '@p2p/metainfo'
import type { TrackerClient } from '@p2p/tracker-client'
import { Choker } from './choker.js'
import type { ClientContext, TorrentSource } from './client-context.js'
import { Dialer } from './dialer.js'
import type { PeerSession } from './peer-session.js'
import { Pex } from './pex.js'
import type { PeerPieces } from './piece-picker.js'
import type { SwarmRuntime } from './runtime.js'
import { SuperSeeding } from './seeding.js'
import { Selection } from './selection.js'
import { Sessions } from './sessions.js'
import type { TorrentCore } from './torrent-core.js'
import type { AddOptions, TorrentEvents } from './torrent-types.js'
import { Transfer } from './transfer.js'
import { type TurnHandlers, TurnWork } from './turn-work.js'

/** One connection of a torrent (internal): the session that alone talks to its wire. */
export type Peer = PeerSession

/** Emits one of the torrent's typed events. */
export type EmitFn = <E extends keyof TorrentEvents>(event: E, ...args: Parameters<TorrentEvents[E]>) => void

/**
 * What one torrent holds before and after its metadata, shared by the files that implement it: its
 * context and options, the owners of its state (`sessions`: connections and bans; `dialer`: dialing;
 * `transfer`: limits and counts; `selection`; `work`: what events marked for this turn), the
 * tracker and lifecycle flags; the torrent phase is its `core`. Internal: the public face is
 * {@link Torrent}.
 */
export class TorrentState {
  readonly ctx: ClientContext
  readonly opts: AddOptions
  readonly src: TorrentSource
  readonly infoHash: string
  readonly infoHashBytes: Uint8Array
  readonly emit: EmitFn
  readonly rt: SwarmRuntime
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
  /** Fetches the metadata from a peer that connected (a magnet); set by the torrent, which owns the metadata phase. */
  fetchMetadata: (peer: Peer) => void = () => {}
  /** PEX rounds (BEP 11). */
  readonly pex: Pex
  /** BEP 16 super-seeding (the `superSeed` option). */
  readonly superSeeding: SuperSeeding

  constructor(
    ctx: ClientContext,
    src: TorrentSource,
    opts: AddOptions,
    emit: EmitFn,
    handlers: (s: TorrentState) => TurnHandlers<Peer>,
    dialRound: (s: TorrentState) => void,
  ) {
    this.ctx = ctx
    this.src = src
    this.opts = opts
    this.emit = emit
    this.infoHash = src.infoHash
    this.infoHashBytes = src.infoHashBytes
    const rt = ctx.runtime
    this.rt = rt
    this.sessions = new Sessions(ctx.peerId)
    this.dialer = new Dialer(
      rt.clock,
      () => ctx.port(),
      () => dialRound(this),
    )
    this.pex = new Pex(rt.clock, {
      sessions: this.sessions,
      book: this.dialer.book,
      isPrivate: () => this.meta?.private === true,
    })
    this.superSeeding = new SuperSeeding(opts.superSeed === true, rt)
    this.choker = new Choker({ slots: opts.uploadSlots, random: rt.random })
    this.transfer = new Transfer({ upload: opts.uploadLimit, download: opts.downloadLimit }, ctx, rt.clock)
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
