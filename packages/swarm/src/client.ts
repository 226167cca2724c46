import { realpath } from 'node:fs/promises'
import type { Server } from 'node:http'
import { networkInterfaces } from 'node:os'
import { basename, dirname, resolve } from 'node:path'
import { toHex } from '@p2p/bytes'
import type { DhtTransport } from '@p2p/dht'
import { TypedEmitter } from '@p2p/events'
import {
  createTorrent,
  HashPool,
  type Metainfo,
  parseMagnet,
  parseTorrent,
  readTorrentFile,
} from '@p2p/metainfo'
import { isPlainHandshake } from '@p2p/mse'
import { type LocalPeerDiscoveryOptions, lsdInterfaceFor, type PortMapper } from '@p2p/nat'
import { generatePeerId, normalizeIp, type PeerAddress } from '@p2p/peer-address'
import type { ClientContext, TorrentSource } from './client-context.js'
import { reservedSlots } from './connection-slots.js'
import { acceptEncrypted, acceptsFirstBytes, checkEncryption, type EncryptionOptions } from './encryption.js'
import { SwarmError } from './errors.js'
import { createFileServer } from './http-server.js'
import { type Limits, setBucketRates } from './lifecycle.js'
import { LsdSource } from './lsd-source.js'
import { withVerifiedPieceLayers } from './piece-layers.js'
import { announcedPort, type PortMappingOption, startPortMapping } from './port-mapping.js'
import { TokenBucket } from './rate-limiter.js'
import type { SwarmRuntime, TransportListener, TransportStream } from './runtime.js'
import { systemRuntime } from './system-runtime.js'
import { Torrent } from './torrent.js'
import type { AddOptions, SeedOptions } from './torrent-types.js'
import { fetchTorrentFile, isHttpUrl } from './torrent-url.js'
import { DEFAULT_TRANSPORTS, internetTransport, type Transport } from './transports.js'

/** Default hashing worker threads: one SHA-1/SHA-256 thread outruns a loopback transfer, and each worker costs memory. */
export const DEFAULT_HASH_THREADS = 1
/** Default bound on peer connections of a whole client. */
export const DEFAULT_MAX_CONNECTIONS = 200
/** Time an incoming connection has to send the handshake's first 48 bytes, ms. */
export const INCOMING_HANDSHAKE_TIMEOUT_MS = 20_000
/** Where a handshake's info hash starts (1 + 19 protocol bytes + 8 reserved bytes, BEP 3). */
const INFO_HASH_OFFSET = 28
/** Bytes of a handshake up to the end of the info hash. */
const HANDSHAKE_PREFIX = INFO_HASH_OFFSET + 20

/** Options of {@link Client}; the encryption options are defaults for its torrents. */
export interface ClientOptions extends EncryptionOptions {
  /** Address to listen on. Default `::` (IPv6 and IPv4), falling back to `0.0.0.0`. */
  host?: string
  /** TCP port to listen on; 0 or undefined = any free port (see {@link Client.port}). */
  port?: number
  /** Our 20-byte peer id. Default: a fresh random one. */
  peerId?: Uint8Array
  /** Global upload limit, bytes/s (0 = none). */
  uploadLimit?: number
  /** Global download limit, bytes/s (0 = none). */
  downloadLimit?: number
  /** Bound on peer connections of the whole client. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number
  /**
   * Share (0..1) of `maxConnections` that incoming connections (handshaking or attached) cannot
   * take, so that connections still being handshaken by a flood of incoming ones cannot stop the
   * torrents from dialling. Default 0.2.
   */
  outgoingReserve?: number
  /** Hashing worker threads. Default {@link DEFAULT_HASH_THREADS}. */
  hashThreads?: number
  /** Map the listening port on the gateway (UPnP IGD, NAT-PMP, PCP) and announce the external port. */
  portMapping?: PortMappingOption
  /**
   * Local peer discovery (BEP 14) for public torrents (private ones never use it), on the interface of
   * `host` when it is one address (a client on 127.0.0.1 multicasts on the loopback interface only).
   * Default on, as in libtorrent and Transmission; off when `runtime.transport` replaces the network.
   */
  lsd?: boolean | Omit<LocalPeerDiscoveryOptions, 'port'>
  /** Closes the client when aborted. */
  signal?: AbortSignal
  /**
   * Replaces parts of the outside world: clock and timers, randomness, transport, storage (see
   * {@link SwarmRuntime}; `@p2p/sim` runs clients on virtual ones). Default: the real ones.
   */
  runtime?: Partial<SwarmRuntime>
  /**
   * Transports: incoming connections are accepted on each (uTP on the UDP port of the same number),
   * outgoing ones try them in this order. Default {@link DEFAULT_TRANSPORTS} (`['tcp', 'utp']`).
   * Ignored when `runtime.transport` is given.
   */
  transports?: readonly Transport[]
}

/** Events of a {@link Client}: `torrent` (a torrent was added), `warning`, `error`. */
export type ClientEvents = {
  /** A torrent was added. */
  torrent: (t: Torrent) => void
  /** A non-fatal problem (an incoming connection for an unknown torrent is not one). */
  warning: (w: { message: string; error?: unknown }) => void
  /** Listening failed after start. */
  error: (e: SwarmError) => void
}

/**
 * A BitTorrent client: one TCP listener (IPv4 and IPv6), a hashing worker pool, global limits, and any
 * number of torrents.
 *
 * @example
 * ```ts
 * const client = new Client({ port: 6881 })
 * const t = await client.add(torrentBytes, { path: './downloads' })
 * t.on('piece', (e) => console.log(e.index, e.algorithm, e.ok))
 * await t.done
 * await client.close()
 * ```
 * @group Client
 */
export class Client extends TypedEmitter<ClientEvents> {
  /** Our peer id. */
  readonly peerId: Uint8Array
  readonly #options: ClientOptions
  readonly #torrents = new Map<string, Torrent>()
  readonly #upload: TokenBucket
  readonly #download: TokenBucket
  readonly #rt: SwarmRuntime
  #server: TransportListener | undefined
  #listening: Promise<void> | undefined
  #port = 0
  #pool: HashPool | undefined
  #connections = 0
  /** Incoming connections open (handshaking or attached to a torrent). */
  #incomingOpen = 0
  readonly #handshaking = new Set<TransportStream>()
  #closed = false
  #closing: Promise<void> | undefined
  readonly #localIps: Set<string>
  #portMapper: PortMapper | undefined
  #lsd: LsdSource | undefined

  /** @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a bad port or peer id. */
  constructor(options: ClientOptions = {}) {
    super()
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)
    ) {
      throw new SwarmError('SWARM_INVALID_ARGUMENT', `expected a port 0..65535, got ${options.port}`)
    }
    if (options.peerId && options.peerId.length !== 20) {
      throw new SwarmError(
        'SWARM_INVALID_ARGUMENT',
        `expected a 20-byte peer id, got ${options.peerId.length} bytes`,
      )
    }
    checkEncryption(options)
    this.#options = options
    this.#rt = {
      ...systemRuntime,
      transport: internetTransport(options.transports ?? DEFAULT_TRANSPORTS),
      ...options.runtime,
    }
    this.peerId = options.peerId ?? generatePeerId()
    this.#upload = new TokenBucket(options.uploadLimit ?? 0, { clock: this.#rt.clock })
    this.#download = new TokenBucket(options.downloadLimit ?? 0, { clock: this.#rt.clock })
    this.#localIps = new Set(['127.0.0.1', '::1', '0.0.0.0', '::'])
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        try {
          this.#localIps.add(normalizeIp(a.address))
        } catch {
          // scoped or odd address
        }
      }
    }
    if (options.host) this.#localIps.add(options.host)
    options.signal?.addEventListener('abort', () => void this.close(), { once: true })
  }

  /**
   * The UDP port of a DHT node running beside this client (see `useDht`): set it and new
   * connections of public torrents carry the BEP 5 handshake bit and a `port` message.
   */
  dhtPort: number | undefined = undefined

  /**
   * The UDP socket uTP listens on, for a DHT node to share as other clients do
   * (`new DhtNode({ transport: client.udp })`): KRPC datagrams go to the DHT, the rest to uTP.
   * Undefined before {@link Client.listen} and without uTP.
   */
  get udp(): DhtTransport | undefined {
    return this.#server?.udp
  }

  /** The TCP port we listen on (0 before {@link Client.listen}). */
  get port(): number {
    return this.#port
  }

  /** The port mapper, when `portMapping` is on (its events report every mapping change). */
  get portMapper(): PortMapper | undefined {
    return this.#portMapper
  }

  /** The torrents of this client. */
  get torrents(): Torrent[] {
    return [...this.#torrents.values()]
  }

  /** The torrent with this info hash (hex), if any. */
  get(infoHash: string): Torrent | undefined {
    return this.#torrents.get(infoHash.toLowerCase())
  }

  /**
   * Starts listening (done by `add`/`seed` too; calling it again does nothing).
   * @throws {SwarmError} `SWARM_LISTEN`
   */
  listen(): Promise<void> {
    this.#listening ??= this.#listen()
    return this.#listening
  }

  async #listen(): Promise<void> {
    try {
      this.#server = await this.#rt.transport.listen(
        { host: this.#options.host, port: this.#options.port ?? 0 },
        (socket) => this.#incoming(socket),
        (err) => this.emit('error', new SwarmError('SWARM_LISTEN', err.message, { cause: err })),
        (message, error) => this.emit('warning', { message, error }),
      )
    } catch (err) {
      throw new SwarmError('SWARM_LISTEN', `cannot listen: ${(err as Error).message}`, { cause: err })
    }
    this.#port = this.#server.port
    const warn = (error: Error) => this.emit('warning', { message: error.message, error })
    const { portMapping, lsd = !this.#options.runtime?.transport, host } = this.#options
    if (portMapping) this.#portMapper = startPortMapping(this.#port, portMapping, warn)
    if (lsd) {
      const options = { ...lsdInterfaceFor(host), ...(typeof lsd === 'object' ? lsd : {}), port: this.#port }
      this.#lsd = new LsdSource(options, warn)
      await this.#lsd.start().catch(warn)
    }
  }

  #incoming(socket: TransportStream): void {
    const max = this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    if (
      this.#closed ||
      this.#connections >= max ||
      this.#incomingOpen >= max - reservedSlots(max, this.#options.outgoingReserve)
    ) {
      socket.destroy()
      return
    }
    this.#connections++
    this.#incomingOpen++
    socket.once('close', () => this.#incomingOpen--)
    this.#handshaking.add(socket)
    let done = false
    const finish = (t: Torrent | undefined, prefix?: Buffer, encrypted = false) => {
      if (done) return
      done = true
      this.#rt.clock.clearTimeout(timer)
      socket.off('readable', onReadable)
      socket.off('error', onFail)
      socket.off('close', onFail)
      if (encrypted && prefix) {
        socket.unshift(prefix)
        this.#acceptEncrypted(socket)
        return
      }
      this.#handshaking.delete(socket)
      if (!t || !prefix) {
        socket.destroy()
        this.#connections--
        return
      }
      socket.unshift(prefix)
      t.acceptIncoming(socket)
    }
    const onFail = () => finish(undefined)
    const onReadable = () => {
      const prefix = socket.read(HANDSHAKE_PREFIX) as Buffer | null
      if (!prefix) return
      // MSE (a public key) or a plain handshake, which a torrent with encryption forced refuses.
      if (!isPlainHandshake(prefix)) return finish(undefined, prefix, true)
      const t =
        this.#torrents.get(toHex(prefix.subarray(INFO_HASH_OFFSET, HANDSHAKE_PREFIX))) ??
        this.#byHandshake(prefix)
      finish(t && acceptsFirstBytes(t.encryptionPolicy, prefix) ? t : undefined, prefix)
    }
    const timer = this.#rt.clock.setTimeout(onFail, INCOMING_HANDSHAKE_TIMEOUT_MS)
    socket.on('readable', onReadable)
    socket.on('error', onFail)
    socket.on('close', onFail)
  }

  /** An incoming MSE handshake: on success the torrent its SKEY names takes the connection. */
  #acceptEncrypted(socket: TransportStream): void {
    acceptEncrypted(socket, [...this.#torrents.values()], this.#rt, INCOMING_HANDSHAKE_TIMEOUT_MS).then(
      ({ torrent, stream }) => {
        this.#handshaking.delete(socket)
        if (this.#closed) {
          stream.destroy()
          this.#connections--
        } else torrent.acceptIncoming(socket, stream)
      },
      () => {
        // the handshake destroyed the socket
        this.#handshaking.delete(socket)
        this.#connections--
      },
    )
  }

  #byHandshake(prefix: Buffer): Torrent | undefined {
    const ih = prefix.subarray(INFO_HASH_OFFSET, HANDSHAKE_PREFIX)
    for (const t of this.#torrents.values()) if (Buffer.from(t.infoHashBytes).equals(ih)) return t
    return undefined
  }

  #context(removed: () => void): ClientContext {
    return {
      runtime: this.#rt,
      peerId: this.peerId,
      port: () => announcedPort(this.#portMapper, this.#port),
      dhtPort: () => this.dhtPort,
      hashPool: () => {
        this.#pool ??= new HashPool({ threads: this.#options.hashThreads ?? DEFAULT_HASH_THREADS })
        return this.#pool
      },
      upload: this.#upload,
      download: this.#download,
      canConnect: () => this.#connections < (this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS),
      connectionOpened: () => {
        this.#connections++
      },
      connectionClosed: () => {
        this.#connections--
      },
      isSelf: (a: PeerAddress) => a.port === this.#port && this.#localIps.has(a.host),
      encryption: this.#options,
      removed,
    }
  }

  /**
   * Adds a torrent to download (or to seed, when its data is already there).
   * @param torrent .torrent bytes, a magnet link, a path to or an http(s) URL of a .torrent file, or
   *   parsed metainfo; `options.path` defaults to the current directory
   * @throws {SwarmError} `SWARM_BAD_TORRENT`, `SWARM_TORRENT_URL`, `SWARM_DUPLICATE_TORRENT`, `SWARM_LISTEN`, `SWARM_PATH_TRAVERSAL`,
   *   `SWARM_STORAGE` when `options.path` cannot be created or written into
   *
   * @example
   * ```ts
   * const t = await client.add('./ubuntu.torrent', {
   *   path: './downloads',
   *   files: [0, 2], // only these files (indexes in metainfo.files)
   *   peers: [{ host: '127.0.0.1', port: 6881 }], // dialed besides the trackers' peers
   * })
   * t.on('piece', (e) => console.log(`piece ${e.index} ${e.algorithm} ${e.ok ? 'ok' : 'failed'}`))
   * await t.done
   * ```
   */
  async add(torrent: Uint8Array | string | Metainfo, options: AddOptions = {}): Promise<Torrent> {
    const input =
      typeof torrent === 'string' && isHttpUrl(torrent) ? await fetchTorrentFile(torrent, options) : torrent
    const src = await this.#load(input, resolve(options.path ?? process.cwd()))
    await this.#rt.prepareDir(src.dir)
    return this.#start(src, options)
  }

  /**
   * Seeds a file or directory: creates its torrent (or verifies the files against `options.torrent`)
   * and serves it.
   * @throws {SwarmError} `SWARM_BAD_TORRENT`, `SWARM_STORAGE`, `SWARM_LISTEN`
   *
   * @example
   * ```ts
   * const seeder = new Client({ port: 6881 })
   * const t = await seeder.seed('./photos', {
   *   version: 'hybrid',
   *   announce: [['http://127.0.0.1:6969/announce']],
   * })
   * console.log(t.magnetURI) // give this to a downloader
   * ```
   */
  async seed(path: string, options: SeedOptions = {}): Promise<Torrent> {
    const full = resolve(path)
    // Storage follows no link below its directory: serve the content from where it really is.
    let real: string
    try {
      real = await realpath(full)
    } catch (err) {
      throw new SwarmError('SWARM_STORAGE', `cannot read ${full}`, { cause: err })
    }
    let src: TorrentSource
    if (options.torrent) {
      src = await this.#load(options.torrent, dirname(real))
      src.rootName = basename(real)
    } else {
      let created: { metainfo: Metainfo }
      try {
        created = await createTorrent(full, {
          version: options.version ?? 'hybrid',
          pieceLength: options.pieceLength,
          announce: options.announce,
          private: options.private,
          signal: options.signal,
        })
      } catch (err) {
        throw new SwarmError(
          'SWARM_BAD_TORRENT',
          `cannot create a torrent of ${full}: ${(err as Error).message}`,
          {
            cause: err,
          },
        )
      }
      src = this.#fromMetainfo(created.metainfo, dirname(real))
      src.rootName = basename(real)
      src.trustAll = true
    }
    // Seeding never writes into the content's directory unless asked to (no resume file by default).
    return this.#start(src, { resume: false, ...options, path: dirname(real) })
  }

  async #start(src: TorrentSource, options: AddOptions): Promise<Torrent> {
    checkEncryption(options)
    // BEP 53: the magnet's `so=` is the selection unless one is given here.
    if (src.selectOnly && !options.files && !options.filePriorities)
      options = { ...options, files: src.selectOnly }
    if (this.#closed) throw new SwarmError('SWARM_ABORTED', 'client closed')
    if (this.#torrents.has(src.infoHash)) {
      throw new SwarmError('SWARM_DUPLICATE_TORRENT', `torrent ${src.infoHash} is already added`)
    }
    await this.listen()
    const t: Torrent = new Torrent(
      this.#context(() => {
        if (this.#torrents.get(src.infoHash) === t) this.#torrents.delete(src.infoHash)
      }),
      src,
      options,
    )
    this.#torrents.set(src.infoHash, t)
    try {
      await t.start()
    } catch (err) {
      await t.destroy()
      throw err
    }
    this.#lsd?.add(t)
    this.emit('torrent', t)
    return t
  }

  async #load(input: Uint8Array | string | Metainfo, dir: string): Promise<TorrentSource> {
    try {
      if (input instanceof Uint8Array) return this.#fromMetainfo(parseTorrent(input), dir)
      if (typeof input === 'string') {
        if (input.startsWith('magnet:')) {
          const m = parseMagnet(input)
          const ihHex = m.infoHash ?? m.infoHashV2?.slice(0, 40)
          if (!ihHex) throw new SwarmError('SWARM_BAD_TORRENT', 'magnet link without an info hash')
          return {
            infoHash: m.infoHash ?? m.infoHashV2!,
            infoHashBytes: Buffer.from(ihHex, 'hex'),
            name: m.name,
            trackers: m.trackers.map((t) => [t]),
            peers: m.peers.map((p) => ({ host: p.host, port: p.port })),
            dir,
            magnet: input,
            webSeeds: m.urlList,
            selectOnly: m.selectOnly,
          }
        }
        return this.#fromMetainfo(parseTorrent(await readTorrentFile(input)), dir)
      }
      return this.#fromMetainfo(withVerifiedPieceLayers(input), dir)
    } catch (err) {
      if (err instanceof SwarmError) throw err
      throw new SwarmError('SWARM_BAD_TORRENT', `cannot load torrent: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }

  #fromMetainfo(m: Metainfo, dir: string): TorrentSource {
    return {
      metainfo: m,
      infoHash: m.infoHash ?? m.infoHashV2!,
      infoHashBytes: m.infoHashBytes,
      name: m.name,
      trackers: m.announce,
      peers: [],
      dir,
    }
  }

  /**
   * Removes a torrent: it is stopped (resume data written, trackers told) and, with `deleteFiles`, its
   * own files (and resume and part files) are deleted; nothing outside its directory is touched.
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for an unknown info hash, `SWARM_STORAGE` when a file
   *   cannot be deleted
   */
  async remove(infoHash: string, options: { deleteFiles?: boolean } = {}): Promise<void> {
    const t = this.get(infoHash)
    if (!t) throw new SwarmError('SWARM_INVALID_ARGUMENT', `no torrent ${infoHash} in this client`)
    await t.destroy()
    if (options.deleteFiles) await t.deleteFiles()
  }

  /**
   * Changes the client's global rate limits at runtime (bytes/s, 0 = none; an omitted one stays).
   * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` for a negative or non-finite rate
   */
  setLimits(limits: Limits): void {
    setBucketRates({ download: this.#download, upload: this.#upload }, limits)
  }

  /**
   * An HTTP server of this client's files, to `listen` on (bind it to `127.0.0.1` unless others should
   * reach it): `/` lists every torrent's files (HTML; JSON at `/index.json`), `/<info hash>/<file path>`
   * streams a file while it downloads (see `TorrentFile.createReadStream`), with `Range` (`206`,
   * `416`), `HEAD`, `If-Range`, an ETag and a `Content-Type` from the extension.
   *
   * @example
   * ```ts
   * const server = client.createServer()
   * server.listen(8080, '127.0.0.1')
   * // <video src="http://127.0.0.1:8080/<infohash>/movie.webm"> plays while it downloads
   * ```
   */
  createServer(): Server {
    return createFileServer({ client: () => this.torrents })
  }

  /**
   * Stops every torrent (resume data written, trackers told), the listener and the hash workers.
   * Every call returns the first call's promise: a close started by the abort signal is waited for.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    await Promise.all([...this.#torrents.values()].map((t) => t.destroy()))
    for (const s of this.#handshaking) s.destroy()
    await Promise.all([this.#portMapper?.close(), this.#lsd?.close()])
    await this.#server?.close()
    await this.#pool?.close()
  }
}
