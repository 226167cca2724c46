import { createSocket, type Socket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import { NatError } from './errors.js'
import { LsdCore, type LsdCoreOptions, type LsdPeer } from './lsd-core.js'
import { encodeLsdAnnounces, LSD_IPV4_GROUP, LSD_IPV6_GROUP, LSD_PORT } from './lsd-message.js'
import { REAL_TIMERS, type Timers } from './timers.js'

/** Events of {@link LocalPeerDiscovery}. */
export interface LocalPeerDiscoveryEvents {
  /** A peer on the LAN announced one of our torrents. */
  peer: [LsdPeer]
  /** We announced these info hashes over IPv4 or IPv6. */
  announced: [{ family: 4 | 6; infoHashes: string[] }]
  /** A socket could not be set up or a send failed; discovery goes on with what works. */
  failed: [NatError]
}

/** Options of {@link LocalPeerDiscovery}. */
export interface LocalPeerDiscoveryOptions extends LsdCoreOptions {
  /** Our BitTorrent listening port, announced to the LAN. */
  port: number
  /** IPv4 address of the interface to announce and listen on. Default: the system's choice. */
  interfaceAddress?: string
  /** Use the IPv4 group. Default true. */
  ipv4?: boolean
  /** Also use the IPv6 group. Default true (skipped with a `failed` event when unavailable). */
  ipv6?: boolean
  /** Name of the interface for the IPv6 group (e.g. `eth0`). Default: the system's choice. */
  ipv6Interface?: string
  /** Multicast TTL; above 1 as BEP 14 suggests for its org-local group. Default 4. */
  ttl?: number
  /** Clock and timers. Default the real ones (unref'd). */
  timers?: Timers
}

/**
 * Local peer discovery (BEP 14) on the multicast groups 239.192.152.143:6771 and [ff15::efc0:988f]:6771:
 * announces our torrents (a hybrid torrent under both of its hashes) at most once a minute and each
 * every five minutes, and reports the peers others announce for them. Our own announces are recognised
 * by their cookie.
 *
 * @example
 * ```ts
 * const lsd = new LocalPeerDiscovery({ port: 6881 })
 * lsd.on('peer', ({ infoHash, host, port }) => swarm.addPeer(infoHash, host, port))
 * await lsd.start()
 * lsd.addTorrent([infoHashHex])
 * ```
 */
export class LocalPeerDiscovery extends EventEmitter<LocalPeerDiscoveryEvents> {
  readonly #options: LocalPeerDiscoveryOptions
  readonly #core: LsdCore
  readonly #timers: Timers
  readonly #sockets: { family: 4 | 6; socket: Socket; group: string }[] = []
  #timer: unknown
  #started = false
  #closed = false

  constructor(options: LocalPeerDiscoveryOptions) {
    super()
    const { port } = options
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new NatError('NAT_INVALID_ARGUMENT', `expected a port 1..65535, got ${port}`)
    }
    this.#options = options
    this.#core = new LsdCore(options)
    this.#timers = options.timers ?? REAL_TIMERS
  }

  /** Our cookie. */
  get cookie(): string {
    return this.#core.cookie
  }

  /**
   * Joins the groups. Resolves once at least the IPv4 socket works.
   *
   * @throws {NatError} `NAT_UNAVAILABLE` when no group could be joined.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new NatError('NAT_CLOSED', 'local peer discovery closed')
    const { interfaceAddress, ipv4 = true, ipv6 = true, ipv6Interface, ttl = 4 } = this.#options
    if (ipv4) await this.#join(4, LSD_IPV4_GROUP, interfaceAddress, ttl)
    if (ipv6) await this.#join(6, LSD_IPV6_GROUP, ipv6Interface && `::%${ipv6Interface}`, ttl)
    if (this.#sockets.length === 0)
      throw new NatError('NAT_UNAVAILABLE', 'could not join an LSD multicast group')
    this.#started = true
    this.#reschedule()
  }

  /** Starts announcing a torrent (announced at the next allowed moment). */
  addTorrent(infoHashes: readonly string[]): void {
    this.#core.addTorrent(infoHashes)
    this.#reschedule()
  }

  /** Stops announcing a torrent. */
  removeTorrent(infoHashes: readonly string[]): void {
    this.#core.removeTorrent(infoHashes)
    this.#reschedule()
  }

  /** Leaves the groups and stops. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#timers.clearTimeout(this.#timer)
    await Promise.all(this.#sockets.map(({ socket }) => new Promise<void>((r) => socket.close(() => r()))))
    this.#sockets.length = 0
  }

  async #join(family: 4 | 6, group: string, iface: string | undefined, ttl: number): Promise<void> {
    const socket = createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      reuseAddr: true,
      ipv6Only: family === 6,
    })
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind(LSD_PORT, family === 4 ? '0.0.0.0' : '::', () => {
          socket.off('error', reject)
          resolve()
        })
      })
      socket.addMembership(group, iface)
      if (iface) socket.setMulticastInterface(iface)
      socket.setMulticastTTL(ttl)
    } catch (err) {
      socket.close()
      this.emit('failed', new NatError('NAT_UNAVAILABLE', `LSD IPv${family}: ${(err as Error).message}`))
      return
    }
    socket.on('error', (err) => this.emit('failed', new NatError('NAT_UNAVAILABLE', `LSD: ${err.message}`)))
    socket.on('message', (msg, from) => {
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)
      for (const peer of this.#core.handleDatagram(data, from.address, this.#timers.now()))
        this.emit('peer', peer)
    })
    this.#sockets.push({ family, socket, group })
  }

  #reschedule(): void {
    if (!this.#started || this.#closed) return
    this.#timers.clearTimeout(this.#timer)
    const due = this.#core.nextDue()
    if (due === undefined) return
    this.#timer = this.#timers.setTimeout(() => this.#announce(), Math.max(0, due - this.#timers.now()))
  }

  #announce(): void {
    if (this.#closed) return
    const infoHashes = this.#core.poll(this.#timers.now())
    if (infoHashes.length > 0) {
      for (const { family, socket, group } of this.#sockets) {
        const datagrams = encodeLsdAnnounces({
          family,
          port: this.#options.port,
          infoHashes,
          cookie: this.cookie,
        })
        for (const data of datagrams) {
          socket.send(data, LSD_PORT, group, (err) => {
            if (err) this.emit('failed', new NatError('NAT_UNAVAILABLE', `LSD send: ${err.message}`))
          })
        }
        this.emit('announced', { family, infoHashes })
      }
    }
    this.#reschedule()
  }
}
