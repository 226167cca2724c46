import { setMaxListeners } from 'node:events'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import {
  type HashPool,
  type Metainfo,
  type PieceSpec,
  parseTorrent,
  pieceSpec,
  toMagnet,
} from '@p2p/metainfo'
import { formatPeer, normalizeIp, type PeerAddress } from '@p2p/peer-address'
import { allowedFastSet, Wire } from '@p2p/peer-wire'
import { TrackerClient, TypedEmitter } from '@p2p/tracker-client'
import { Bitfield } from './bitfield.js'
import { CHOKE_INTERVAL_MS, Choker } from './choker.js'
import { SwarmError } from './errors.js'
import { PeerBook, type PeerSource } from './peer-book.js'
import { PieceBufferPool } from './piece-buffer-pool.js'
import { type PeerPieces, PiecePicker, pipelineDepth } from './piece-picker.js'
import { TokenBucket } from './rate-limiter.js'
import { RateMeter } from './rate-meter.js'
import { DEFAULT_RESUME_INTERVAL_MS, readResumeFile, trustedPieces, writeResumeFile } from './resume-file.js'
import { Storage, type StorageFile } from './storage.js'
import {
  type AddOptions,
  BAN_STRIKES,
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_PEERS_PER_TORRENT,
  type PieceEvent,
  type TorrentEvents,
  type TorrentStats,
} from './torrent-types.js'
import { type PieceCheck, verifyPiece, verifyPieceOnDisk } from './verifier.js'

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

interface Peer {
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
  strikes: number
  banned: boolean
  /** Closed because we are both seeds. */
  bothSeeds?: boolean
  pexSent: Set<string>
  down: RateMeter
  up: RateMeter
}

interface PieceBuffer {
  data: Uint8Array
  from: Set<Peer>
}

/** Resume interval and other internals a test may shorten. */
const PEX_INTERVAL_MS = 60_000
/** Delay before dialing a seed again that we closed because both of us were seeds. */
const SEED_RECONNECT_DELAY_MS = 10 * 60_000
/** Requests sent together when refilling a pipeline that still has at least this many in flight. */
const REFILL_BATCH = 64
/** Bytes of whole pieces kept in memory for uploads. */
const READ_CACHE_BYTES = 8 * 2 ** 20
/** Pieces offered in the allowed-fast set (BEP 6 suggests 10). */
const ALLOWED_FAST_COUNT = 10
const DIAL_TICK_MS = 1_000

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

/**
 * One torrent in a {@link Client}: its storage, peers, picker, choker, tracker and resume file.
 * Created by `client.add` / `client.seed`, never directly.
 */
export class Torrent extends TypedEmitter<TorrentEvents> {
  /** Info hash, hex (v1, or v2 for v2-only torrents). */
  readonly infoHash: string
  /** Resolves when every selected piece is verified (never rejects). */
  readonly done: Promise<void>
  readonly #ctx: ClientContext
  readonly #opts: AddOptions
  readonly #src: TorrentSource
  readonly #infoHashBytes: Uint8Array
  readonly #book = new PeerBook()
  readonly #peers = new Set<Peer>()
  readonly #buffers = new Map<number, PieceBuffer>()
  #pool: PieceBufferPool | undefined
  readonly #banned = new Set<string>()
  readonly #choker: Choker
  readonly #upload: TokenBucket
  readonly #download: TokenBucket
  readonly #downMeter = new RateMeter()
  readonly #upMeter = new RateMeter()
  readonly #abort = new AbortController()
  readonly #timers: ReturnType<typeof setInterval>[] = []
  #resolveDone!: () => void
  #meta: Metainfo | undefined
  #specs: PieceSpec[] = []
  #storage: Storage | undefined
  #picker: PiecePicker | undefined
  #tracker: TrackerClient | undefined
  #fetchingMetadata = false
  #finished = false
  #destroyed = false
  /** Stopped downloading after a storage failure. */
  #halted = false
  #dirty = false
  #downloaded = 0
  #uploaded = 0
  #wantedBytes = 0
  #haveBytes = 0
  #dialTimer: ReturnType<typeof setTimeout> | undefined
  #pexTimer: ReturnType<typeof setTimeout> | undefined
  readonly #readCache = new Map<number, Promise<Uint8Array>>()
  #pending = 0
  /** Bytes of unfinished pieces held in memory (receiving, writing or hashing). */
  #buffered = 0

  /** @internal */
  constructor(ctx: ClientContext, src: TorrentSource, opts: AddOptions) {
    super()
    this.#ctx = ctx
    this.#src = src
    this.#opts = opts
    this.infoHash = src.infoHash
    this.#infoHashBytes = src.infoHashBytes
    // Every wire and rate-limit wait listens on this signal.
    setMaxListeners(0, this.#abort.signal)
    this.#choker = new Choker({ slots: opts.uploadSlots })
    this.#upload = new TokenBucket(opts.uploadLimit ?? 0, { parent: ctx.upload })
    this.#download = new TokenBucket(opts.downloadLimit ?? 0, { parent: ctx.download })
    this.done = new Promise<void>((r) => {
      this.#resolveDone = r
    })
    opts.signal?.addEventListener('abort', () => void this.destroy(), { once: true })
  }

  /** The torrent's name (from the metainfo or the magnet's `dn`, else the info hash). */
  get name(): string {
    return this.#meta?.name ?? this.#src.name ?? this.infoHash
  }

  /** The metainfo, once known. */
  get metainfo(): Metainfo | undefined {
    return this.#meta
  }

  /** A magnet link to this torrent. */
  get magnetURI(): string {
    if (this.#meta) {
      try {
        return toMagnet(this.#meta)
      } catch {
        // fall through to a hand-made link
      }
    }
    const tr = this.#src.trackers.flat().map((t) => `&tr=${encodeURIComponent(t)}`)
    const dn = this.#src.name ? `&dn=${encodeURIComponent(this.#src.name)}` : ''
    return `magnet:?xt=urn:btih:${this.infoHash}${dn}${tr.join('')}`
  }

  /** Whether every selected piece is verified. */
  get complete(): boolean {
    return this.#finished
  }

  /** The 20-byte hash used in handshakes and announces. */
  get infoHashBytes(): Uint8Array {
    return this.#infoHashBytes
  }

  /** Transfer numbers. */
  stats(): TorrentStats {
    const downloadSpeed = this.#downMeter.rate()
    const uploadSpeed = this.#upMeter.rate()
    const progress = this.#wantedBytes > 0 ? this.#haveBytes / this.#wantedBytes : this.#meta ? 1 : 0
    const left = this.#wantedBytes - this.#haveBytes
    const stats: TorrentStats = {
      progress,
      downloaded: this.#downloaded,
      uploaded: this.#uploaded,
      downloadSpeed,
      uploadSpeed,
      peers: [...this.#peers].filter((p) => p.handshaken).length,
      ratio: this.#uploaded / (this.#downloaded || this.#meta?.length || 1),
    }
    if (left === 0 && this.#meta) stats.eta = 0
    else if (downloadSpeed > 0) stats.eta = left / downloadSpeed
    return stats
  }

  /** Adds a peer to dial. */
  addPeer(addr: { host: string; port: number }, source: PeerSource = 'manual'): void {
    if (this.#destroyed) return
    let peer: PeerAddress
    try {
      if (!Number.isInteger(addr.port) || addr.port < 1 || addr.port > 65535) throw new Error('bad port')
      peer = { host: normalizeIp(addr.host), port: addr.port }
    } catch {
      this.emit('warning', { message: `ignoring bad peer address ${addr.host}:${addr.port}` })
      return
    }
    if (this.#ctx.isSelf(peer)) return
    this.#book.add(peer, source)
    this.#scheduleDial(0)
  }

  /** @internal Opens storage, checks existing data, starts the tracker and dialing. */
  async start(): Promise<void> {
    if (this.#src.metainfo) await this.#setup(this.#src.metainfo)
    this.#startTracker()
    for (const p of this.#src.peers) this.addPeer(p, 'magnet')
    for (const p of this.#opts.peers ?? []) this.addPeer(p, 'manual')
    this.#timers.push(setInterval(() => this.#chokeRound(), CHOKE_INTERVAL_MS))
    this.#timers.push(setInterval(() => this.#sendPex(), PEX_INTERVAL_MS))
    this.#timers.push(setInterval(() => this.#saveResume(false), DEFAULT_RESUME_INTERVAL_MS))
    this.#timers.push(
      setInterval(() => {
        this.#tracker?.update({ uploaded: this.#uploaded, downloaded: this.#downloaded, left: this.#left() })
        for (const p of this.#peers) this.#fill(p)
      }, 2_000),
    )
    for (const t of this.#timers) t.unref?.()
    this.#scheduleDial(0)
  }

  #left(): number {
    return this.#meta ? Math.max(0, this.#wantedBytes - this.#haveBytes) : 1
  }

  async #setup(meta: Metainfo): Promise<void> {
    this.#meta = meta
    this.emit('metadata', meta)
    this.#specs = Array.from({ length: meta.pieceCount }, (_, i) => pieceSpec(meta, i))
    const files: StorageFile[] = meta.files.map((f) => ({
      path: this.#src.rootName !== undefined ? [this.#src.rootName, ...f.path.slice(1)] : f.path,
      length: f.length,
      offset: f.offset,
      pad: f.pad,
    }))
    const wantedFiles = this.#opts.files ? new Set(this.#opts.files) : undefined
    const selected = meta.files.map((f, i) => !f.pad && (!wantedFiles || wantedFiles.has(i)))
    const storage = new Storage({
      dir: this.#src.dir,
      files,
      selected,
      partFile: join(this.#src.dir, `.${this.infoHash}.parts`),
      preallocate: this.#opts.preallocate,
    })
    this.#storage = storage
    const picker = new PiecePicker({
      pieceCount: meta.pieceCount,
      pieceLength: (i) => this.#specs[i]!.length,
      strategy: this.#opts.strategy,
    })
    for (let i = 0; i < meta.pieceCount; i++) {
      const spec = this.#specs[i]!
      const wanted = storage.filesIn(spec.offset, spec.length).some((f) => selected[f])
      picker.setWanted(i, wanted)
      if (wanted) this.#wantedBytes += spec.length
    }
    await this.#checkExisting(picker, storage, selected)
    if (this.#destroyed) return
    this.#picker = picker
    await storage.createEmptyFiles()
    for (const i of picker.have.ones()) if (picker.isWanted(i)) this.#haveBytes += this.#specs[i]!.length
    this.emit('ready')
    if (picker.complete()) this.#finish()
    // Peers connected before the metadata arrived.
    for (const p of this.#peers) {
      try {
        p.wire.setTorrent(this.#geometry(meta))
      } catch {
        // a bad geometry closes that wire
      }
      if (!p.handshaken) continue
      this.#count(p)
      this.#updateInterest(p)
    }
  }

  /** Trusts the resume file where files are unchanged, and hashes whatever else exists on disk. */
  async #checkExisting(picker: PiecePicker, storage: Storage, selected: boolean[]): Promise<void> {
    const n = picker.pieceCount
    if (this.#src.trustAll) {
      for (let i = 0; i < n; i++) picker.verified(i)
      return
    }
    const states = await storage.fileStates()
    const pieceFiles = (i: number) =>
      storage
        .filesIn(this.#specs[i]!.offset, this.#specs[i]!.length)
        .filter((f) => !this.#meta!.files[f]!.pad)
    let trusted: Set<number> = new Set()
    if (this.#opts.resume !== false) {
      try {
        const r = await readResumeFile(this.#resumePath(), {
          infoHash: this.#infoHashBytes,
          pieceCount: n,
          fileCount: this.#meta!.files.length,
        })
        if (r) trusted = new Set(trustedPieces(r, states, pieceFiles).ones())
      } catch (err) {
        this.emit('warning', { message: (err as Error).message, error: err })
      }
    }
    const toCheck: number[] = []
    for (let i = 0; i < n; i++) {
      if (trusted.has(i)) {
        picker.verified(i)
        continue
      }
      // Worth hashing only when some file of the piece has bytes on disk (or in the part file).
      const fs = pieceFiles(i)
      if (fs.some((f) => (states[f]?.size ?? 0) > 0 || !selected[f])) toCheck.push(i)
    }
    const pool = this.#ctx.hashPool()
    let next = 0
    const worker = async () => {
      while (next < toCheck.length && !this.#destroyed) {
        const i = toCheck[next++]!
        const spec = this.#specs[i]!
        const data = await storage.read(spec.offset, spec.length)
        const check = await verifyPiece(pool, spec, data)
        if (check.ok) picker.verified(i)
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
  }

  #resumePath(): string {
    return this.#opts.resumePath ?? join(this.#src.dir, `.${this.infoHash}.resume`)
  }

  async #saveResume(force: boolean): Promise<void> {
    if (!this.#picker || !this.#storage || this.#opts.resume === false) return
    if (!this.#dirty && !force) return
    this.#dirty = false
    try {
      await writeResumeFile(this.#resumePath(), {
        infoHash: this.#infoHashBytes,
        have: this.#picker.have,
        files: await this.#storage.fileStates(),
      })
    } catch (err) {
      this.emit('warning', { message: (err as Error).message, error: err })
    }
  }

  #startTracker(): void {
    // Extra tiers first, then the torrent's own (each URL once).
    const seen = new Set<string>()
    const tiers = [
      ...(this.#opts.announce ?? []),
      ...(this.#meta?.announce.length ? this.#meta.announce : this.#src.trackers),
    ]
      .map((tier) => tier.filter((u) => !seen.has(u) && seen.add(u)))
      .filter((tier) => tier.length)
    if (!tiers.length) return
    try {
      this.#tracker = new TrackerClient({
        infoHash: this.#infoHashBytes,
        peerId: this.#ctx.peerId,
        port: this.#ctx.port(),
        announce: tiers,
        left: this.#left(),
        stopTimeout: 2_000,
      })
    } catch (err) {
      this.emit('warning', { message: `trackers unusable: ${(err as Error).message}`, error: err })
      return
    }
    this.#tracker.on('peers', (peers) => {
      for (const p of peers) this.addPeer(p, 'tracker')
    })
    this.#tracker.on('warning', (w) =>
      this.emit('warning', { message: `tracker ${w.url}: ${w.message}`, error: w.error }),
    )
    this.#tracker.on('error', (e) =>
      this.emit('warning', { message: `trackers failed: ${e.message}`, error: e }),
    )
    this.#tracker.start()
  }

  // ---- connections ----

  #scheduleDial(ms: number): void {
    if (this.#destroyed) return
    if (this.#dialTimer !== undefined) {
      if (ms > 0) return
      clearTimeout(this.#dialTimer)
    }
    this.#dialTimer = setTimeout(() => {
      this.#dialTimer = undefined
      this.#dial()
    }, ms)
    this.#dialTimer.unref?.()
  }

  #dial(): void {
    if (this.#destroyed) return
    const max = this.#opts.maxConnections ?? DEFAULT_MAX_PEERS_PER_TORRENT
    // A finished torrent does not go looking for peers (they come to it), except seeds we were told about.
    const room = max - this.#peers.size - this.#pending
    const { peers, nextInMs } = this.#book.candidates(room, { host: '127.0.0.1', port: this.#ctx.port() })
    for (const addr of peers) {
      if (!this.#ctx.canConnect()) break
      this.#connect(addr)
    }
    if (Number.isFinite(nextInMs)) this.#scheduleDial(Math.max(nextInMs, DIAL_TICK_MS))
  }

  #connect(addr: PeerAddress): void {
    this.#book.dialing(addr)
    this.#pending++
    this.#ctx.connectionOpened()
    const socket = connect({ host: addr.host, port: addr.port })
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS)
    const onError = () => {
      clearTimeout(timer)
      this.#pending--
      this.#ctx.connectionClosed()
      this.#book.failed(addr)
      this.#scheduleDial(DIAL_TICK_MS)
    }
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError)
      this.#pending--
      if (this.#destroyed) {
        socket.destroy()
        this.#ctx.connectionClosed()
        return
      }
      this.#book.connected(addr, 'manual')
      this.#attach(socket, addr, false)
    })
  }

  /** @internal An incoming connection whose handshake names this torrent (the client counted it). */
  acceptIncoming(socket: Socket): void {
    if (this.#destroyed || this.#peers.size >= (this.#opts.maxConnections ?? DEFAULT_MAX_PEERS_PER_TORRENT)) {
      socket.destroy()
      this.#ctx.connectionClosed()
      return
    }
    let host: string
    try {
      host = normalizeIp(socket.remoteAddress ?? '')
    } catch {
      socket.destroy()
      this.#ctx.connectionClosed()
      return
    }
    this.#attach(socket, { host, port: socket.remotePort ?? 0 }, true)
  }

  #attach(socket: Socket, addr: PeerAddress, incoming: boolean): void {
    socket.setNoDelay(true)
    const meta = this.#meta
    const wire = new Wire(socket, {
      infoHash: this.#infoHashBytes,
      peerId: this.#ctx.peerId,
      listenPort: this.#ctx.port(),
      signal: this.#abort.signal,
      ...(meta ? this.#geometry(meta) : {}),
    })
    const peer: Peer = {
      wire,
      addr,
      listen: incoming ? undefined : addr,
      incoming,
      handshaken: false,
      haveAll: false,
      counted: false,
      allowedFast: new Set(),
      suggested: [],
      strikes: 0,
      banned: false,
      pexSent: new Set(),
      down: new RateMeter(),
      up: new RateMeter(),
    }
    this.#peers.add(peer)
    this.#wireEvents(peer)
    wire.handshake()
  }

  /** What the wire checks requests against (v2-only pieces vary in size: only the count then). */
  #geometry(meta: Metainfo): {
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

  #wireEvents(peer: Peer): void {
    const { wire } = peer
    wire.on('handshake', (h) => {
      const id = Buffer.from(h.peerId).toString('hex')
      if (Buffer.from(this.#ctx.peerId).equals(Buffer.from(h.peerId))) {
        if (peer.listen) this.#book.never(peer.listen)
        wire.destroy()
        return
      }
      if (this.#banned.has(id) || this.#banned.has(formatPeer(peer.addr))) {
        wire.destroy()
        return
      }
      for (const other of this.#peers) {
        const otherId = other.wire.peerHandshake?.peerId
        if (other !== peer && other.handshaken && otherId && Buffer.from(otherId).toString('hex') === id) {
          // Both sides dialed each other: keep the connection opened by the lower peer id, so both
          // ends drop the same one.
          const weDialKeep = Buffer.compare(Buffer.from(this.#ctx.peerId), Buffer.from(h.peerId)) < 0
          if (peer.incoming !== other.incoming && peer.incoming === !weDialKeep) {
            other.wire.destroy()
            break
          }
          wire.destroy()
          return
        }
      }
      peer.handshaken = true
      this.#sendPieces(peer)
      this.#pexSoon()
      this.emit('wire', wire, peer.addr)
    })
    wire.on('extended-handshake', (ext) => {
      const p = ext.p
      if (peer.incoming && typeof p === 'number' && p > 0 && p < 65536) {
        peer.listen = { host: peer.addr.host, port: p }
        this.#book.connected(peer.listen, 'incoming')
        this.#pexSoon()
      }
      if (!this.#meta) void this.#fetchMetadata(peer)
    })
    // Some clients (aria2) send a second availability message: it replaces the first.
    wire.on('bitfield', () => this.#onPieces(peer, true))
    wire.on('have-all', () => {
      peer.haveAll = true
      this.#onPieces(peer, true)
    })
    wire.on('have-none', () => {
      peer.haveAll = false
      this.#onPieces(peer, true)
    })
    wire.on('have', (i) => {
      const bits = peer.countedBits
      if (peer.counted && bits instanceof Bitfield && !bits.get(i) && i < bits.length) {
        bits.set(i)
        this.#picker?.addHave(i)
      }
      this.#updateInterest(peer)
    })
    wire.on('unchoke', () => this.#fill(peer))
    wire.on('choke', () => {
      this.#picker?.releaseAll(peer)
      this.#fillAll()
    })
    wire.on('allowed-fast', (i) => {
      peer.allowedFast.add(i)
      this.#fill(peer)
    })
    wire.on('suggest', (i) => {
      if (peer.suggested.length < 64) peer.suggested.push(i)
    })
    wire.on('interested', () => {
      const unchoked = [...this.#peers].filter((p) => !p.wire.amChoking).length
      if (wire.amChoking && unchoked < this.#choker.slots) wire.unchoke()
    })
    wire.on('request', (req) => void this.#serve(peer, req))
    wire.on('pex', (e) => {
      for (const a of e.added.slice(0, 50)) this.addPeer(a, 'pex')
    })
    wire.on('close', (err) => this.#onClose(peer, err))
  }

  #sendPieces(peer: Peer): void {
    const { wire } = peer
    const picker = this.#picker
    const fast = wire.fast
    if (!picker || picker.have.count() === 0) {
      if (fast) wire.haveNone()
    } else if (picker.have.full() && fast) {
      wire.haveAll()
    } else {
      wire.bitfield(picker.have.buffer, picker.pieceCount)
    }
    // BEP 6: a few pieces the peer may fetch while choked, so a new peer gets its first pieces soon.
    if (fast && picker && picker.have.count() > 0) {
      try {
        for (const i of allowedFastSet(
          peer.addr.host,
          this.#infoHashBytes,
          picker.pieceCount,
          ALLOWED_FAST_COUNT,
        )) {
          if (picker.have.get(i)) wire.allowedFast(i)
        }
      } catch {
        // an address the generator does not take
      }
    }
  }

  #onPieces(peer: Peer, replace = false): void {
    if (replace) this.#uncount(peer)
    this.#count(peer)
    this.#updateInterest(peer)
    // Both seeds: nothing to exchange (and no point in dialing it again soon).
    if (this.#finished && this.#isSeed(peer)) {
      peer.bothSeeds = true
      peer.wire.destroy()
    }
  }

  #isSeed(peer: Peer): boolean {
    if (peer.haveAll) return true
    const n = this.#meta?.pieceCount
    if (!n) return false
    for (let i = 0; i < n; i++) if (!peer.wire.peerPieces.get(i)) return false
    return true
  }

  #bits(peer: Peer): PeerPieces | 'all' {
    return peer.haveAll || peer.wire.peerHasAll ? 'all' : peer.wire.peerPieces
  }

  #count(peer: Peer): void {
    if (!this.#picker || peer.counted) return
    peer.counted = true
    const bits = this.#bits(peer)
    peer.countedBits =
      bits === 'all' ? 'all' : new Bitfield(this.#picker.pieceCount, peer.wire.peerPieces.buffer)
    this.#picker.addAvailability(peer.countedBits)
  }

  #uncount(peer: Peer): void {
    if (!peer.counted) return
    peer.counted = false
    if (peer.countedBits) this.#picker?.removeAvailability(peer.countedBits)
    peer.countedBits = undefined
  }

  #updateInterest(peer: Peer): void {
    const picker = this.#picker
    if (!picker || !peer.handshaken) return
    const want = !this.#finished && picker.interesting(this.#bits(peer))
    if (want && !peer.wire.amInterested) peer.wire.interested()
    else if (!want && peer.wire.amInterested) peer.wire.uninterested()
    if (want) this.#fill(peer)
  }

  #fillAll(): void {
    for (const p of this.#peers) this.#fill(p)
  }

  #fill(peer: Peer): void {
    const picker = this.#picker
    const { wire } = peer
    if (
      !picker ||
      this.#destroyed ||
      this.#halted ||
      this.#finished ||
      !peer.handshaken ||
      !wire.amInterested
    )
      return
    const choked = wire.peerChoking
    if (choked && peer.allowedFast.size === 0) return
    // A peer that already sent a bad piece gets one request at a time until it is cleared or banned.
    const depth = peer.strikes > 0 ? 1 : pipelineDepth(peer.down.rate(), { max: wire.maxOutstandingRequests })
    const n = Math.min(
      depth - picker.outstanding(peer),
      wire.maxOutstandingRequests - wire.outstandingRequests,
    )
    if (n <= 0) return
    // Refill in batches (one write carries many requests) while enough are still in flight.
    if (n < REFILL_BATCH && picker.outstanding(peer) >= REFILL_BATCH) return
    const blocks = picker.pick(peer, this.#bits(peer), n, {
      only: choked ? peer.allowedFast : undefined,
      prefer: peer.suggested,
      noNewPieces: this.#buffered >= (this.#opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
    })
    for (const b of blocks) {
      const wait = this.#download.unlimited ? 0 : this.#download.reserve(b.length)
      if (wait > 0) setTimeout(() => this.#request(peer, b.index, b.begin, b.length), wait)
      else this.#request(peer, b.index, b.begin, b.length)
    }
  }

  #request(peer: Peer, index: number, begin: number, length: number): void {
    if (this.#destroyed || !this.#peers.has(peer)) {
      this.#picker?.release(peer, index, begin)
      return
    }
    let p: Promise<Uint8Array>
    try {
      p = peer.wire.request(index, begin, length)
    } catch {
      this.#picker?.release(peer, index, begin)
      return
    }
    p.then(
      (data) => this.#onBlock(peer, index, begin, data),
      () => this.#picker?.release(peer, index, begin),
    )
  }

  #onBlock(peer: Peer, index: number, begin: number, data: Uint8Array): void {
    const picker = this.#picker
    if (!picker) return
    peer.down.add(data.length)
    this.#downMeter.add(data.length)
    this.#downloaded += data.length
    const arrival = picker.received(peer, index, begin, data.length)
    if (arrival.accepted) {
      for (const other of arrival.cancel as Peer[]) {
        try {
          other.wire.cancel(index, begin, data.length)
        } catch {
          // the other wire may be closing
        }
      }
      let buf = this.#buffers.get(index)
      if (!buf) {
        this.#buffered += this.#specs[index]!.length
        this.#pool ??= new PieceBufferPool(this.#opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES)
        // Contents unspecified: every byte is overwritten by a block before the piece is written or hashed.
        buf = { data: this.#pool.take(this.#specs[index]!.length), from: new Set() }
        this.#buffers.set(index, buf)
      }
      buf.data.set(data, begin)
      buf.from.add(peer)
      if (arrival.pieceComplete) void this.#verify(index)
    }
    this.#fill(peer)
  }

  async #verify(index: number): Promise<void> {
    const buf = this.#buffers.get(index)
    const picker = this.#picker!
    const storage = this.#storage!
    this.#buffers.delete(index)
    if (!buf) return
    const spec = this.#specs[index]!
    // Counts against maxBufferedBytes until its buffer is free (after the write for a piece hashed from disk).
    let held = spec.length
    const release = () => {
      this.#buffered -= held
      held = 0
    }
    // Written before the check, so the worker can hash it from disk (v1) or the buffer can move to
    // the worker without a copy (v2); only a verified piece counts as had (and goes into the resume
    // file), a bad one is simply rewritten.
    try {
      await storage.write(spec.offset, buf.data)
    } catch (err) {
      release()
      this.#pool?.give(buf.data)
      picker.failed(index)
      const e = err instanceof SwarmError ? err : new SwarmError('SWARM_STORAGE', String(err), { cause: err })
      // A failing disk (full, read-only...) stops the download: no point fetching what cannot be kept.
      if (!this.#destroyed && !this.#halted) {
        this.#halted = true
        for (const p of this.#peers) this.#picker?.releaseAll(p)
        this.emit('error', e)
      }
      return
    }
    let event: PieceEvent
    try {
      // A v1 piece is hashed from the file (page cache) by the worker: its buffer is free right now.
      const onDisk = spec.sha1 && !spec.sha256 ? storage.segments(spec.offset, spec.length) : undefined
      let check: PieceCheck
      if (onDisk) {
        this.#pool?.give(buf.data)
        release()
        check = await verifyPieceOnDisk(this.#ctx.hashPool(), spec, onDisk)
      } else {
        check = await verifyPiece(this.#ctx.hashPool(), spec, buf.data, { transfer: true })
      }
      event = { index, ...check, peers: [...buf.from].map((p) => p.listen ?? p.addr) }
    } catch (err) {
      release()
      if (this.#destroyed) return
      picker.failed(index)
      this.emit('warning', {
        message: `hashing piece ${index} failed: ${(err as Error).message}`,
        error: err,
      })
      this.#fillAll()
      return
    }
    release()
    if (this.#destroyed) return
    this.emit('piece', event)
    if (!event.ok) {
      picker.failed(index)
      this.emit('warning', {
        message: `piece ${index} failed ${event.algorithm} check (expected ${event.expected}, got ${event.got}) from ${event.peers.map(formatPeer).join(', ')}`,
      })
      this.#penalize(buf.from)
      this.#fillAll()
      return
    }
    picker.verified(index)
    this.#dirty = true
    if (picker.isWanted(index)) this.#haveBytes += spec.length
    for (const p of this.#peers) {
      if (!p.handshaken) continue
      try {
        p.wire.have(index)
      } catch {
        // closing
      }
      if (p.wire.amInterested && !picker.interesting(this.#bits(p))) p.wire.uninterested()
    }
    if (picker.complete()) this.#finish()
    else this.#fillAll()
  }

  #penalize(from: Set<Peer>): void {
    for (const p of from) {
      if (p.banned) continue
      p.strikes += from.size === 1 ? 1 : 0.5
      if (p.strikes >= BAN_STRIKES) {
        p.banned = true
        const addr = p.listen ?? p.addr
        this.#banned.add(formatPeer(p.addr))
        const id = p.wire.peerHandshake?.peerId
        if (id) this.#banned.add(Buffer.from(id).toString('hex'))
        this.#book.never(addr)
        this.emit('ban', {
          peer: addr,
          reason: `sent data for ${Math.round(p.strikes * 2) / 2} failed pieces`,
        })
        p.wire.destroy()
        // Unfinished pieces it contributed to are suspect: drop them rather than hash bad data.
        for (const [index, buf] of [...this.#buffers]) {
          if (!buf.from.has(p)) continue
          this.#buffers.delete(index)
          this.#buffered -= this.#specs[index]!.length
          this.#picker?.failed(index)
        }
      }
    }
  }

  /**
   * A verified piece's bytes for uploads: read once whole and kept in a small LRU, since peers ask
   * for a piece block by block (one read per piece instead of one per 16 KiB).
   */
  #readPiece(index: number): Promise<Uint8Array> {
    let p = this.#readCache.get(index)
    if (p) {
      this.#readCache.delete(index)
      this.#readCache.set(index, p)
      return p
    }
    const spec = this.#specs[index]!
    p = this.#storage!.read(spec.offset, spec.length)
    this.#readCache.set(index, p)
    p.catch(() => this.#readCache.delete(index))
    let bytes = 0
    for (const i of this.#readCache.keys()) bytes += this.#specs[i]!.length
    for (const i of this.#readCache.keys()) {
      if (bytes <= READ_CACHE_BYTES || this.#readCache.size <= 1) break
      this.#readCache.delete(i)
      bytes -= this.#specs[i]!.length
    }
    return p
  }

  async #serve(peer: Peer, req: { index: number; begin: number; length: number }): Promise<void> {
    const { wire } = peer
    const picker = this.#picker
    const spec = this.#specs[req.index]
    if (!picker || !spec || !picker.have.get(req.index) || req.begin + req.length > spec.length) {
      wire.rejectRequest(req)
      return
    }
    try {
      if (!this.#upload.unlimited) await this.#upload.take(req.length, this.#abort.signal)
      const piece = await this.#readPiece(req.index)
      const data = piece.subarray(req.begin, req.begin + req.length)
      if (this.#destroyed || !this.#peers.has(peer)) return
      wire.piece(req.index, req.begin, data)
      peer.up.add(data.length)
      this.#upMeter.add(data.length)
      this.#uploaded += data.length
    } catch (err) {
      if (!this.#destroyed)
        this.emit('warning', { message: `serving piece ${req.index}: ${(err as Error).message}`, error: err })
    }
  }

  #onClose(peer: Peer, err?: Error): void {
    if (!this.#peers.delete(peer)) return
    this.#ctx.connectionClosed()
    const picker = this.#picker
    if (picker) {
      picker.releaseAll(peer)
      this.#uncount(peer)
    }
    // Dropped before the handshake (the peer was not ready, or refused us): retry soon with back-off.
    if (peer.listen) {
      if (peer.handshaken) {
        this.#book.disconnected(peer.listen, peer.bothSeeds ? SEED_RECONNECT_DELAY_MS : undefined)
      } else this.#book.failed(peer.listen)
    }
    if (err && !this.#destroyed && peer.handshaken) {
      this.emit('warning', {
        message: `peer ${formatPeer(peer.addr)} closed: ${err.message}`,
        peer: peer.addr,
        error: err,
      })
    }
    this.#fillAll()
    this.#scheduleDial(DIAL_TICK_MS)
  }

  // ---- choking, pex, metadata ----

  #chokeRound(): void {
    const peers = [...this.#peers].filter((p) => p.handshaken)
    const unchoke = this.#choker.round(
      peers.map((p) => ({
        id: p,
        interested: p.wire.peerInterested,
        downloadRate: p.down.rate(),
        uploadRate: p.up.rate(),
        seed: this.#finished ? false : undefined,
      })),
      this.#finished,
    )
    for (const p of peers) {
      try {
        if (unchoke.has(p) && p.wire.amChoking) p.wire.unchoke()
        else if (!unchoke.has(p) && !p.wire.amChoking) p.wire.choke()
      } catch {
        // closing
      }
    }
  }

  /** Tells peers about each other soon after a connection (the wire then paces ut_pex itself). */
  #pexSoon(): void {
    if (this.#pexTimer || this.#destroyed) return
    this.#pexTimer = setTimeout(() => {
      this.#pexTimer = undefined
      if (!this.#destroyed) this.#sendPex()
    }, 500)
    this.#pexTimer.unref?.()
  }

  #sendPex(): void {
    const all = this.#book.connectedPeers()
    for (const p of this.#peers) {
      if (!p.handshaken) continue
      const added = all
        .filter((a) => !p.pexSent.has(formatPeer(a)) && formatPeer(a) !== formatPeer(p.listen ?? p.addr))
        .slice(0, 50)
      if (!added.length) continue
      try {
        p.wire.sendPex({ added, dropped: [] })
        for (const a of added) p.pexSent.add(formatPeer(a))
      } catch {
        // the peer does not speak ut_pex
      }
    }
  }

  async #fetchMetadata(peer: Peer): Promise<void> {
    if (this.#fetchingMetadata || this.#meta) return
    this.#fetchingMetadata = true
    try {
      const info = await peer.wire.fetchMetadata()
      if (this.#meta || this.#destroyed) return
      const torrent = new Uint8Array(info.length + 8)
      torrent.set(new TextEncoder().encode('d4:info'), 0)
      torrent.set(info, 7)
      torrent[torrent.length - 1] = 0x65 // 'e'
      const meta = parseTorrent(torrent)
      if (this.#src.trackers.length && meta.announce.length === 0) meta.announce = this.#src.trackers
      await this.#setup(meta)
    } catch (err) {
      this.emit('warning', {
        message: `metadata from ${formatPeer(peer.addr)} failed: ${(err as Error).message}`,
        error: err,
      })
    } finally {
      this.#fetchingMetadata = false
    }
    if (!this.#meta) {
      for (const p of this.#peers) if (p !== peer && p.handshaken) return void this.#fetchMetadata(p)
    }
  }

  #finish(): void {
    if (this.#finished) return
    this.#finished = true
    this.#pool = undefined
    this.#tracker?.complete()
    void this.#saveResume(true)
    for (const p of this.#peers) {
      if (!p.handshaken) continue
      if (p.wire.amInterested) p.wire.uninterested()
      if (this.#isSeed(p)) {
        p.bothSeeds = true
        p.wire.destroy()
      }
    }
    this.emit('done')
    this.#resolveDone()
  }

  /** Stops the torrent: resume data written, trackers told, connections and files closed. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const t of this.#timers) clearInterval(t)
    if (this.#dialTimer) clearTimeout(this.#dialTimer)
    if (this.#pexTimer) clearTimeout(this.#pexTimer)
    const tracker = this.#tracker
    const stopping = tracker ? tracker.stop().catch(() => {}) : Promise.resolve()
    this.#abort.abort(new SwarmError('SWARM_ABORTED', 'torrent destroyed'))
    for (const p of [...this.#peers]) p.wire.destroy()
    await this.#saveResume(true)
    await this.#storage?.close()
    await stopping
    this.#ctx.removed(this)
  }
}
