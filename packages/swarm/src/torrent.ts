import { setMaxListeners } from 'node:events'
import type { Socket } from 'node:net'
import { type Metainfo, toMagnet } from '@p2p/metainfo'
import { TypedEmitter } from '@p2p/tracker-client'
import { startTracker } from './announce.js'
import { fill } from './block-requests.js'
import { CHOKE_INTERVAL_MS } from './choker.js'
import { SwarmError } from './errors.js'
import { setFilePriority } from './file-priorities.js'
import type { PeerSource } from './peer-book.js'
import { acceptIncoming, addPeer, scheduleDial } from './peer-connections.js'
import { PEX_INTERVAL_MS, sendPex } from './pex.js'
import { missingPieceLayers } from './piece-layers.js'
import { saveResume } from './resume.js'
import { DEFAULT_RESUME_INTERVAL_MS } from './resume-file.js'
import { setup } from './torrent-setup.js'
import { type ClientContext, type TorrentSource, TorrentState } from './torrent-state.js'
import type { AddOptions, TorrentEvents, TorrentStats } from './torrent-types.js'
import { chokeRound } from './uploads.js'

export type { ClientContext, TorrentSource } from './torrent-state.js'

/**
 * One torrent in a {@link Client}: its storage, peers, picker, choker, tracker and resume file.
 * Created by `client.add` / `client.seed`, never directly.
 *
 * This class is the facade and lifecycle; the work is done by the files named for it
 * (peer-connections, wire-events, block-requests, piece-verification, uploads, pex,
 * metadata-fetch, announce, resume, torrent-setup) over one shared `TorrentState`.
 */
export class Torrent extends TypedEmitter<TorrentEvents> {
  /** Info hash, hex (v1, or v2 for v2-only torrents). */
  readonly infoHash: string
  /** Resolves when every selected piece is verified (never rejects). */
  readonly done: Promise<void>
  readonly #s: TorrentState

  /** @internal */
  constructor(ctx: ClientContext, src: TorrentSource, opts: AddOptions) {
    super()
    const s = new TorrentState(ctx, src, opts, (event, ...args) => this.emit(event, ...args))
    this.#s = s
    this.infoHash = src.infoHash
    // Every wire and rate-limit wait listens on this signal.
    setMaxListeners(0, s.abort.signal)
    this.done = new Promise<void>((r) => {
      s.resolveDone = r
    })
    opts.signal?.addEventListener('abort', () => void this.destroy(), { once: true })
  }

  /** The torrent's name (from the metainfo or the magnet's `dn`, else the info hash). */
  get name(): string {
    return this.#s.meta?.name ?? this.#s.src.name ?? this.infoHash
  }

  /** The metainfo, once known. */
  get metainfo(): Metainfo | undefined {
    return this.#s.meta
  }

  /** A magnet link to this torrent. */
  get magnetURI(): string {
    const s = this.#s
    if (s.meta) {
      try {
        return toMagnet(s.meta)
      } catch {
        // fall through to a hand-made link
      }
    }
    const tr = s.src.trackers.flat().map((t) => `&tr=${encodeURIComponent(t)}`)
    const dn = s.src.name ? `&dn=${encodeURIComponent(s.src.name)}` : ''
    return `magnet:?xt=urn:btih:${this.infoHash}${dn}${tr.join('')}`
  }

  /** Whether every selected piece is verified. */
  get complete(): boolean {
    return this.#s.finished
  }

  /**
   * Pieces taken as had from the resume file without hashing them (their files' sizes and mtimes
   * were unchanged): complete, but not verified. Add with `recheck: true` to hash them too.
   */
  get resumedPieces(): number {
    return this.#s.resumedPieces
  }

  /** The 20-byte hash used in handshakes and announces. */
  get infoHashBytes(): Uint8Array {
    return this.#s.infoHashBytes
  }

  /** Transfer numbers. */
  stats(): TorrentStats {
    const s = this.#s
    const downloadSpeed = s.downMeter.rate()
    const uploadSpeed = s.upMeter.rate()
    const progress = s.wantedBytes > 0 ? s.haveBytes / s.wantedBytes : s.meta ? 1 : 0
    const left = s.wantedBytes - s.haveBytes
    const stats: TorrentStats = {
      progress,
      downloaded: s.downloaded,
      uploaded: s.uploaded,
      downloadSpeed,
      uploadSpeed,
      peers: [...s.peers].filter((p) => p.handshaken).length,
      ratio: s.uploaded / (s.downloaded || s.meta?.length || 1),
    }
    if (left === 0 && s.meta) stats.eta = 0
    else if (downloadSpeed > 0) stats.eta = left / downloadSpeed
    return stats
  }

  /** Adds a peer to dial. */
  addPeer(addr: { host: string; port: number }, source: PeerSource = 'manual'): void {
    addPeer(this.#s, addr, source)
  }

  /** Priority of each file (0 = skip, 1..7, default 4); empty until the metadata is known. */
  get filePriorities(): number[] {
    return [...this.#s.filePriorities]
  }

  /**
   * Sets file `index`'s priority: 0 skips it, 1 (low) to 7 (top) as libtorrent's; pieces of
   * higher-priority files start first. Works before the metadata is known (applied when it is) and
   * while downloading or seeding (a complete torrent downloads again; `done` stays resolved). Resolves
   * once bytes of the file kept in the part file are moved into it.
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a bad index or priority.
   */
  setFilePriority(index: number, priority: number): Promise<void> {
    return setFilePriority(this.#s, index, priority)
  }

  /** @internal Opens storage, checks existing data, starts the tracker and dialing. */
  async start(): Promise<void> {
    const s = this.#s
    const meta = s.src.metainfo
    // A v2 .torrent without its `piece layers`: set up once a peer gives them (as for a magnet).
    if (meta && !s.src.trustAll && missingPieceLayers(meta).length) s.pendingMeta = meta
    else if (meta) await setup(s, meta)
    startTracker(s)
    for (const p of s.src.peers) addPeer(s, p, 'magnet')
    for (const p of s.opts.peers ?? []) addPeer(s, p, 'manual')
    s.timers.push(setInterval(() => chokeRound(s), CHOKE_INTERVAL_MS))
    s.timers.push(setInterval(() => sendPex(s), PEX_INTERVAL_MS))
    s.timers.push(setInterval(() => saveResume(s, false), DEFAULT_RESUME_INTERVAL_MS))
    s.timers.push(
      setInterval(() => {
        s.tracker?.update({ uploaded: s.uploaded, downloaded: s.downloaded, left: s.left() })
        for (const p of s.peers) fill(s, p)
      }, 2_000),
    )
    for (const t of s.timers) t.unref?.()
    scheduleDial(s, 0)
  }

  /** @internal An incoming connection whose handshake names this torrent (the client counted it). */
  acceptIncoming(socket: Socket): void {
    acceptIncoming(this.#s, socket)
  }

  /** Stops the torrent: resume data written, trackers told, connections and files closed. */
  async destroy(): Promise<void> {
    const s = this.#s
    if (s.destroyed) return
    s.destroyed = true
    for (const t of s.timers) clearInterval(t)
    if (s.dialTimer) clearTimeout(s.dialTimer)
    if (s.pexTimer) clearTimeout(s.pexTimer)
    const tracker = s.tracker
    const stopping = tracker ? tracker.stop().catch(() => {}) : Promise.resolve()
    s.abort.abort(new SwarmError('SWARM_ABORTED', 'torrent destroyed'))
    for (const p of [...s.peers]) p.wire.destroy()
    await saveResume(s, true)
    await s.storage?.close()
    await stopping
    s.ctx.removed(this)
  }
}
