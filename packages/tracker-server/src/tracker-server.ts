import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { TypedEmitter } from '@p2p/events'
import { ipFamily } from '@p2p/peer-address'
import type { Registry } from 'prom-client'
import { ConnectionIds } from './connection-id.js'
import { TrackerCore, type TrackerServerEvents } from './core.js'
import { TrackerServerError } from './errors.js'
import { createHttpHandler } from './http.js'
import { createHttpServer, type HttpServer } from './http-server.js'
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_UDP_PACKET,
  type TrackerServerOptions,
} from './options.js'
import type { PeerStore } from './peer-store.js'
import { createMetrics, type TrackerStats } from './stats.js'
import { createUdpHandler } from './udp.js'

/** Where a listening server can be reached. */
export interface ListenInfo {
  /** `http://HOST:PORT/announce` (undefined when HTTP is off). */
  httpUrl: string | undefined
  /** `udp://HOST:PORT` (undefined when UDP is off). */
  udpUrl: string | undefined
  httpPort: number | undefined
  udpPort: number | undefined
}

/**
 * A BitTorrent tracker: HTTP and UDP on one process over one {@link PeerStore}. Create it with
 * {@link createTrackerServer}. Events: see {@link TrackerServerEvents}.
 */
export class TrackerServer extends TypedEmitter<TrackerServerEvents> {
  /** The peer store in use. */
  readonly store: PeerStore
  readonly #core: TrackerCore
  readonly #options: TrackerServerOptions
  readonly #hosts: string[]
  readonly #httpServers: HttpServer[] = []
  readonly #udpSockets: Socket[] = []
  /** Created on the first `/metrics` (prom-client is optional). */
  #registryCache?: Registry
  #info: ListenInfo | undefined
  #closing: Promise<void> | undefined
  readonly #onAbort = () => void this.close()

  constructor(options: TrackerServerOptions = {}) {
    super()
    this.#options = options
    const host = options.host ?? '127.0.0.1'
    this.#hosts = Array.isArray(host) ? host : [host]
    if (this.#hosts.length === 0)
      throw new TrackerServerError('TRACKER_SERVER_BAD_OPTION', 'host must not be empty')
    for (const h of this.#hosts) {
      if (!ipFamily(h))
        throw new TrackerServerError(
          'TRACKER_SERVER_BAD_OPTION',
          `host must be an IP address, got ${JSON.stringify(h)}`,
        )
    }
    this.#core = new TrackerCore(
      options,
      (k, ...args) => this.emit(k, ...args),
      (k) => this.listenerCount(k) > 0,
    )
    this.store = this.#core.store
  }

  get #registry(): Registry {
    this.#registryCache ??= createMetrics(this.#core.counters, async () => this.store.totals())
    return this.#registryCache
  }

  /** Binds the HTTP and UDP sockets; resolves with the announce URLs. */
  async listen(): Promise<ListenInfo> {
    if (this.#closing || this.#options.signal?.aborted) {
      throw new TrackerServerError('TRACKER_SERVER_CLOSED', 'the tracker server is closed')
    }
    if (this.#info) return this.#info
    const o = this.#options
    const wantHttp = o.http ?? true
    const wantUdp = o.udp ?? true
    try {
      let httpPort: number | undefined
      if (wantHttp) {
        httpPort = o.httpPort ?? 0
        for (const h of this.#hosts) httpPort = await this.#listenHttp(h, httpPort)
      }
      let udpPort: number | undefined
      if (wantUdp) {
        const ids = new ConnectionIds(o.connectionSecret ? { secret: o.connectionSecret } : {})
        const preferred = o.udpPort ?? httpPort ?? 0
        try {
          udpPort = await this.#listenUdp(this.#hosts[0]!, preferred, ids)
        } catch (err) {
          // Same number as HTTP was only a preference.
          if (o.udpPort !== undefined || preferred === 0) throw err
          udpPort = await this.#listenUdp(this.#hosts[0]!, 0, ids)
        }
        for (const h of this.#hosts.slice(1)) await this.#listenUdp(h, udpPort, ids)
      }
      const h = this.#hosts[0]!
      const shown = h.includes(':') ? `[${h}]` : h
      this.#info = {
        httpUrl: httpPort === undefined ? undefined : `http://${shown}:${httpPort}/announce`,
        udpUrl: udpPort === undefined ? undefined : `udp://${shown}:${udpPort}`,
        httpPort,
        udpPort,
      }
    } catch (err) {
      await this.#closeSockets()
      if (err instanceof TrackerServerError) throw err
      throw new TrackerServerError('TRACKER_SERVER_LISTEN', `cannot listen: ${(err as Error).message}`, {
        cause: err,
      })
    }
    this.#core.counters.started = Date.now()
    o.signal?.addEventListener('abort', this.#onAbort, { once: true })
    this.#core.log({ level: 'info', msg: 'listening', ...this.#info })
    this.emit('listening', { httpUrl: this.#info.httpUrl, udpUrl: this.#info.udpUrl })
    return this.#info
  }

  /** Announce URLs once listening. */
  get urls(): ListenInfo | undefined {
    return this.#info
  }

  /** Torrents, seeders, leechers, announces/s and request counters (what `/stats` shows). */
  async stats(): Promise<TrackerStats> {
    return this.#core.counters.snapshot(await this.store.totals())
  }

  /** The Prometheus exposition text (what `/metrics` shows). */
  async metrics(): Promise<string> {
    return this.#registry.metrics()
  }

  /**
   * Stops listening, lets in-flight HTTP requests finish for up to `closeTimeout` ms, then closes
   * every socket and (when the server created it) the store. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#options.signal?.removeEventListener('abort', this.#onAbort)
      await this.#closeSockets()
      const ownsStore = this.#options.closeStore ?? this.#core.ownsStore
      if (ownsStore) {
        try {
          await this.store.close()
        } catch (err) {
          this.#core.log({ level: 'warn', msg: 'store close failed', err })
        }
      }
      this.#core.log({ level: 'info', msg: 'closed' })
      this.emit('close')
    })()
    return this.#closing
  }

  async #listenHttp(host: string, port: number): Promise<number> {
    const o = this.#options
    const http = createHttpServer(
      createHttpHandler(this.#core, {
        stats: () => this.stats(),
        metrics: async () => {
          const registry = this.#registry
          return { contentType: registry.contentType, body: await registry.metrics() }
        },
      }),
      {
        maxHeaderBytes: o.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
        headersTimeout: o.httpTimeout ?? DEFAULT_HTTP_TIMEOUT_MS,
        keepAliveTimeout: o.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_MS,
        maxConnections: o.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      },
      // Malformed or oversized requests get a 4xx and the connection closes; nothing reaches the process.
      () => this.#core.counters.failed('TRACKER_SERVER_BAD_FIELD'),
    )
    const server = http.server
    this.#httpServers.push(http)
    server.listen(port, host)
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err)),
    ])
    server.on('error', (err) => this.#core.log({ level: 'error', msg: 'http server error', err }))
    return (server.address() as AddressInfo).port
  }

  async #listenUdp(host: string, port: number, ids: ConnectionIds): Promise<number> {
    const socket = createSocket({
      type: ipFamily(host) === 6 ? 'udp6' : 'udp4',
      reuseAddr: false,
      // Replies go to the IP a datagram came from: no name lookup (and no tick) per send.
      lookup: literalLookup,
    })
    this.#udpSockets.push(socket)
    const max = this.#options.maxUdpPacket ?? DEFAULT_MAX_UDP_PACKET
    socket.on('message', createUdpHandler(this.#core, ids, socket, max))
    // Listen for the outcome before binding: the synchronous lookup may settle it within bind().
    const bound = Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([err]) => Promise.reject(err)),
    ])
    socket.bind(port, host)
    await bound
    socket.on('error', (err) => this.#core.log({ level: 'warn', msg: 'udp socket error', err }))
    try {
      socket.setRecvBufferSize(4 << 20)
      socket.setSendBufferSize(4 << 20)
    } catch {}
    return socket.address().port
  }

  async #closeSockets(): Promise<void> {
    const grace = this.#options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT_MS
    const https = this.#httpServers.splice(0).map(async (http) => {
      if (http.server.listening) await http.close(grace)
    })
    const udps = this.#udpSockets.splice(0).map(
      (socket) =>
        new Promise<void>((resolve) => {
          try {
            socket.close(() => resolve())
          } catch {
            resolve() // never bound
          }
        }),
    )
    await Promise.all([...https, ...udps])
  }
}

/**
 * Creates a tracker (not yet listening: call `listen()`).
 *
 * @example
 * ```ts
 * import { createTrackerServer } from '@p2p/tracker-server'
 * const server = createTrackerServer({ host: '127.0.0.1', httpPort: 0, signal })
 * const { httpUrl, udpUrl } = await server.listen()
 * console.log(httpUrl, udpUrl)
 * await server.close()
 * ```
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_OPTION` on invalid options.
 */
export function createTrackerServer(options: TrackerServerOptions = {}): TrackerServer {
  return new TrackerServer(options)
}

/** A `dns.lookup` stand-in for IP literals (every address the UDP handler sends to): answers synchronously. */
function literalLookup(
  address: string,
  _options: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4)
}
