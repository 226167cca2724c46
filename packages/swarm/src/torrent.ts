import { setMaxListeners } from 'node:events'
import type { Server } from 'node:http'
import { TypedEmitter } from '@p2p/events'
import { type Metainfo, toMagnet } from '@p2p/metainfo'
import type { MseStream } from '@p2p/mse'
import type { PeerAddress } from '@p2p/peer-address'
import { CHOKE_INTERVAL_MS } from './choker.js'
import type { ClientContext, TorrentSource } from './client-context.js'
import { type ConnectionEncryption, type ResolvedEncryption, resolveEncryption } from './encryption.js'
import { SwarmError } from './errors.js'
import { setFilePriority } from './file-priorities.js'
import { createFileServer } from './http-server.js'
import { deleteTorrentFiles, type Limits, pause, resume, setBucketRates } from './lifecycle.js'
import type { PeerSource } from './peer-book.js'
import { acceptIncoming, addPeer, connectTo } from './peer-connections.js'
import { PEX_INTERVAL_MS } from './pex.js'
import { missingPieceLayers } from './piece-layers.js'
import { recheck } from './recheck.js'
import { saveResume } from './resume.js'
import { DEFAULT_RESUME_INTERVAL_MS } from './resume-file.js'
import { every, type TransportStream } from './runtime.js'
import { type TorrentFile, torrentFiles } from './torrent-file.js'
import { setup } from './torrent-setup.js'
import { TorrentState } from './torrent-state.js'
import type { AddOptions, TorrentEvents, TorrentStats } from './torrent-types.js'
import { countTransports } from './transports.js'
import { turnHandlers } from './turn-handlers.js'
import { startUiEvents } from './ui-events.js'
import { chokeRound } from './uploads.js'
import { fillWebSeeds, type WebSeedInfo, webSeedInfo } from './web-seed.js'

/** Interval of tracker updates and request top-ups, ms. */
const UPDATE_INTERVAL_MS = 2_000

/**
 * One torrent in a {@link Client}: its storage, peers, picker, choker, tracker and resume file.
 * Created by `client.add` / `client.seed`, never directly. Its events are listed in
 * {@link TorrentEvents}.
 *
 * This class is the facade and lifecycle; the work is done by the files named for it
 * (peer-connections, peer-events, block-requests, piece-verification, uploads, pex,
 * announce, resume, torrent-setup) over one shared `TorrentState` and the owners it holds
 * (`TorrentPhase`, `Sessions`, `Dialer`, `Trackers`, `Transfer`, `Selection`), the metadata phase
 * (`MetadataPhase`) and, once the metadata is known, its `TorrentCore`.
 *
 * @example
 * ```ts
 * const torrent = await client.add(magnetLink, { path: './downloads' })
 * torrent.on('metadata', (m) => console.log(m.name, m.files.length, 'files'))
 * torrent.on('piece', (e) => console.log(e.index, e.ok))
 * const timer = setInterval(() => console.log(torrent.stats().progress), 1000)
 * await torrent.done
 * clearInterval(timer)
 * await torrent.setFilePriority(1, 0) // skip file 1 from now on
 * ```
 * @group Client
 */
export class Torrent extends TypedEmitter<TorrentEvents> {
  /** Info hash, hex (v1, or v2 for v2-only torrents). */
  readonly infoHash: string
  /** Resolves when every selected piece is verified (never rejects). */
  readonly done: Promise<void>
  readonly #s: TorrentState
  #destroying: Promise<void> | undefined
  #files: TorrentFile[] | undefined

  /** @internal */
  constructor(ctx: ClientContext, src: TorrentSource, opts: AddOptions) {
    super()
    const s = new TorrentState(ctx, src, opts, (event, ...args) => this.emit(event, ...args), {
      turn: turnHandlers,
      connect: (s, addr) => connectTo(s, addr),
      addPeer,
      setup,
    })
    this.#s = s
    this.infoHash = src.infoHash
    // Every wire and rate-limit wait listens on this signal.
    setMaxListeners(0, s.abort.signal)
    this.done = s.done
    opts.signal?.addEventListener('abort', () => void this.destroy(), { once: true })
  }

  /** The torrent's name (from the metainfo or the magnet's `dn`, else the info hash). */
  get name(): string {
    return this.#s.name
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

  /**
   * The torrent's real files (pad files left out), with their progress, selection and read streams;
   * empty until the metadata is known.
   */
  get files(): TorrentFile[] {
    const { core } = this.#s
    if (!this.#files && core) this.#files = torrentFiles(this.#s, core, this)
    return this.#files ?? []
  }

  /** Whether every selected piece is verified. */
  get complete(): boolean {
    return this.#s.selection.finished
  }

  /**
   * Pieces taken as had from the resume file without hashing them (their files' sizes and mtimes
   * were unchanged): complete, but not verified. Add with `recheck: true` to hash them too.
   */
  get resumedPieces(): number {
    return this.#s.core?.resumeState.resumedPieces ?? 0
  }

  /** The 20-byte hash used in handshakes and announces. */
  get infoHashBytes(): Uint8Array {
    return this.#s.infoHashBytes
  }

  /** Transfer numbers. */
  stats(): TorrentStats {
    const s = this.#s
    const { transfer } = s
    const downloadSpeed = transfer.downloadRate()
    const uploadSpeed = transfer.uploadRate()
    const { wantedBytes, haveBytes } = s.selection
    const progress = wantedBytes > 0 ? haveBytes / wantedBytes : s.meta ? 1 : 0
    const left = wantedBytes - haveBytes
    const stats: TorrentStats = {
      progress,
      downloaded: transfer.downloaded,
      uploaded: transfer.uploaded,
      downloadSpeed,
      uploadSpeed,
      peers: [...s.sessions].filter((p) => p.handshaken).length,
      peersByTransport: countTransports(s.sessions),
      ratio: transfer.uploaded / (transfer.downloaded || s.meta?.length || 1),
    }
    if (left === 0 && s.meta) stats.eta = 0
    else if (downloadSpeed > 0) stats.eta = left / downloadSpeed
    return stats
  }

  /** Fraction of the selected bytes verified, 0..1 (as `stats().progress`). */
  get progress(): number {
    return this.stats().progress
  }

  /** Bytes/s received. */
  get downloadSpeed(): number {
    return this.#s.transfer.downloadRate()
  }

  /** Bytes/s sent. */
  get uploadSpeed(): number {
    return this.#s.transfer.uploadRate()
  }

  /** Connected peers (handshake done). */
  get numPeers(): number {
    return this.stats().peers
  }

  /** Milliseconds to completion at the current speed: 0 when complete, `Infinity` when unknown. */
  get timeRemaining(): number {
    const eta = this.stats().eta
    return eta === undefined ? Number.POSITIVE_INFINITY : eta * 1000
  }

  /**
   * BEP 55 holepunches: rendezvous we asked relays for, rendezvous we relayed (`connect` sent to both),
   * uTP dials a relay started, and those of them that connected.
   */
  get holepunches(): { asked: number; relayed: number; started: number; connected: number } {
    const s = this.#s
    return {
      ...s.dialer.holepunches,
    }
  }

  /** Connected peers that announced piece `index` (0 before the metadata is known). */
  availability(index: number): number {
    const picker = this.#s.core?.picker
    return picker && index >= 0 && index < picker.pieceCount ? picker.availability(index) : 0
  }

  /**
   * Checks the torrent's internal consistency, for simulators and tests: every piece buffer belongs
   * to a piece being received or verified, buffered bytes are the sum of the live buffers, and (with
   * the runtime's `checks` on) no request went to a peer without the piece and no block landed in
   * another piece's buffer.
   * @throws {SwarmError} `SWARM_INVARIANT` naming the first broken invariant.
   */
  checkInvariants(): void {
    const { core, checks } = this.#s
    const found = checks.violation ?? core?.store.violation((i) => core.picker.isActive(i))
    if (found) throw new SwarmError('SWARM_INVARIANT', `${this.name}: ${found}`)
  }

  /** Adds a peer to dial. */
  addPeer(addr: { host: string; port: number }, source: PeerSource = 'manual'): void {
    addPeer(this.#s, addr, source)
  }

  /** The torrent's web seeds (BEP 19) and what each is doing; empty until the metadata is known. */
  get webSeeds(): WebSeedInfo[] {
    return webSeedInfo(this.#s)
  }

  /** Priority of each file (0 = skip, 1..7, default 4); empty until the metadata is known. */
  get filePriorities(): number[] {
    return [...this.#s.selection.priorities]
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

  /**
   * Hashes every piece on disk again while the torrent runs (as libtorrent's `force_recheck`):
   * requests stop meanwhile, `checking` events report progress, and afterwards the torrent has what
   * the disk holds. Peers hear of pieces gained (`have`) and lost (lt_donthave; a peer without it is
   * disconnected); a torrent that lost pieces downloads them again (a seed becomes a leecher).
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` before the metadata is known.
   *
   * @example
   * ```ts
   * torrent.on('checking', ({ checked, total }) => console.log(`${checked}/${total}`))
   * await torrent.recheck()
   * console.log(torrent.complete)
   * ```
   */
  recheck(): Promise<void> {
    return recheck(this.#s)
  }

  /** @internal Opens storage, checks existing data, starts the tracker and dialing. */
  async start(): Promise<void> {
    const s = this.#s
    const meta = s.src.metainfo
    // A v2 .torrent without its `piece layers`: set up once a peer gives them (as for a magnet).
    if (meta && !s.src.trustAll && missingPieceLayers(meta).length) s.metadata.awaitLayers(meta)
    else if (meta) await setup(s, meta)
    s.trackers.start()
    for (const p of s.src.peers) addPeer(s, p, 'magnet')
    for (const p of s.opts.peers ?? []) addPeer(s, p, 'manual')
    const { clock } = s.rt
    s.timers.add(every(clock, CHOKE_INTERVAL_MS, () => chokeRound(s)))
    s.timers.add(every(clock, PEX_INTERVAL_MS, () => s.pex.round()))
    s.timers.add(every(clock, DEFAULT_RESUME_INTERVAL_MS, () => void saveResume(s, false)))
    s.timers.add(
      every(clock, UPDATE_INTERVAL_MS, () => {
        const { uploaded, downloaded } = s.transfer
        s.trackers.update({ uploaded, downloaded, left: s.selection.left() })
        s.work.topUpAll()
        fillWebSeeds(s)
      }),
    )
    s.dialer.schedule(0)
    startUiEvents(s, () => webSeedInfo(s).filter((w) => w.state === 'active' || w.state === 'backoff').length)
  }

  /**
   * @internal An incoming connection whose handshake names this torrent (the client counted it);
   * `stream` is its plaintext side after an MSE handshake.
   */
  acceptIncoming(socket: TransportStream, stream?: MseStream): void {
    acceptIncoming(this.#s, socket, stream)
  }

  /** This torrent's encryption policy and level (its own options over the client's). */
  get encryptionPolicy(): ResolvedEncryption {
    return resolveEncryption(this.#s.ctx.encryption, this.#s.opts)
  }

  /** The open connections: address, direction, and whether they are RC4, plaintext over MSE or plain. */
  connections(): { address: PeerAddress; incoming: boolean; encryption: ConnectionEncryption }[] {
    return [...this.#s.sessions].map((p) => ({
      address: p.addr,
      incoming: p.incoming,
      encryption: p.encryption,
    }))
  }

  /**
   * Pauses the torrent: connections closed, trackers told `stopped`, no peer dialed or accepted and no
   * web seed asked. Pieces, file priorities and known peers stay; {@link Torrent.resume} goes on.
   */
  pause(): Promise<void> {
    return pause(this.#s)
  }

  /** Resumes a paused torrent (trackers, known peers and web seeds at once). */
  resume(): void {
    if (resume(this.#s)) fillWebSeeds(this.#s)
  }

  /** Whether the torrent is paused. */
  get paused(): boolean {
    return this.#s.paused
  }

  /**
   * Changes this torrent's rate limits at runtime (bytes/s, 0 = none; an omitted one stays); the
   * client's limits apply on top.
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a negative or non-finite rate
   */
  setLimits(limits: Limits): void {
    setBucketRates(this.#s.transfer, limits)
  }

  /**
   * An HTTP server of this torrent's files, to `listen` on: as `client.createServer()` (the same code),
   * with the files right under `/`: `/<file path>`, and `/` (or `/index.json`) listing them.
   *
   * @example
   * ```ts
   * torrent.createServer().listen(8080, '127.0.0.1')
   * // <video src="http://127.0.0.1:8080/movie/movie.webm"> plays while it downloads
   * ```
   */
  createServer(): Server {
    return createFileServer({ torrent: this })
  }

  /** @internal Deletes the torrent's own files once it is destroyed (see `client.remove`). */
  deleteFiles(): Promise<void> {
    return deleteTorrentFiles(this.#s)
  }

  /**
   * Stops the torrent: resume data written, trackers told, connections and files closed. Every call
   * returns the same promise, so a second caller (the client, after the abort signal started it) also
   * waits until nothing is being written.
   */
  destroy(): Promise<void> {
    this.#destroying ??= this.#stop()
    return this.#destroying
  }

  async #stop(): Promise<void> {
    const s = this.#s
    s.phase.destroy()
    s.timers.runAll()
    s.dialer.stop()
    s.pex.stop()
    s.superSeeding.stop()
    const stopping = s.trackers.stop()
    s.abort.abort(new SwarmError('SWARM_ABORTED', 'torrent destroyed'))
    s.sessions.closeAll()
    // Setup still running closes its storage itself when it sees `destroyed`.
    await s.phase.settingUp?.catch(() => {})
    await saveResume(s, true)
    await s.core?.storage.close()
    await stopping
    s.ctx.removed()
  }
}
