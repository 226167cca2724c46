import { Duplex } from 'node:stream'
import { formatPeer, type PeerAddress } from '@p2p/peer-address'
import { dialStream, type SwarmTransport, type TransportListener, type TransportStream } from '@p2p/swarm'
import { FairUplink } from './fair-uplink.js'
import type { VirtualClock } from './virtual-clock.js'

/** How a simulated host's connection to the network behaves. */
export interface LinkOptions {
  /** One-way delay between this host and the network, ms (a path's latency is the sum of both ends'). */
  latencyMs: number
  /** Upload capacity, bytes per virtual second, shared by all its connections. */
  bytesPerSecond: number
  /** Download capacity, bytes per virtual second, shared by all its connections (default: unlimited). */
  downBytesPerSecond?: number
}

/** Default link: 5 ms to the network, 10 MB/s up. */
export const DEFAULT_LINK: LinkOptions = { latencyMs: 5, bytesPerSecond: 10_000_000 }

/** First ephemeral port given to the dialing end of a connection. */
const EPHEMERAL_PORT = 40_000

/**
 * In-memory links between simulated hosts on a {@link VirtualClock}: each write is copied and
 * delivered after the sender's upload link (shared fairly by its busy connections) and both ends'
 * latency; a close reaches the other end
 * after the data sent before it. No socket, no real timer.
 */
export class SimNetwork {
  readonly clock: VirtualClock
  readonly #links = new Map<string, LinkOptions>()
  readonly #uplinks = new Map<string, FairUplink>()
  readonly #downlinkFreeAt = new Map<string, number>()
  readonly #listeners = new Map<string, (stream: TransportStream) => void>()
  #nextPort = EPHEMERAL_PORT
  /** Bytes delivered so far. */
  delivered = 0
  /** Bytes sent and not yet delivered (the links' queues: what a simulation holds in flight). */
  inFlight = 0

  constructor(clock: VirtualClock) {
    this.clock = clock
  }

  /** Sets how `host` is connected. */
  setLink(host: string, link: LinkOptions): void {
    this.#links.set(host, link)
    this.#uplinks.delete(host)
  }

  /** How `host` is connected. */
  link(host: string): LinkOptions {
    return this.#links.get(host) ?? DEFAULT_LINK
  }

  /** A swarm transport for `host` (give it to a client as `runtime.transport`). */
  transport(host: string): SwarmTransport {
    return {
      listen: async (options, onConnection) => this.listen(host, options.port, onConnection),
      dial: (addr, _receive, done) => dialStream(this.connect(host, addr), done),
    }
  }

  /** Accepts connections to `host:port`. */
  listen(host: string, port: number, onConnection: (stream: TransportStream) => void): TransportListener {
    const key = formatPeer({ host, port })
    if (this.#listeners.has(key)) throw new Error(`${key} is already listening`)
    this.#listeners.set(key, onConnection)
    return {
      port,
      close: async () => {
        if (this.#listeners.get(key) === onConnection) this.#listeners.delete(key)
      },
    }
  }

  /** Opens a connection from `host` to `addr`: `connect` after a round trip, or `error` when refused. */
  connect(host: string, addr: PeerAddress): TransportStream {
    const local = { host, port: this.#nextPort++ }
    const client = new SimStream(this, local, addr)
    const delay = this.#latency(host, addr.host)
    this.clock.setTimeout(() => {
      if (client.destroyed) return
      const accept = this.#listeners.get(formatPeer(addr))
      if (!accept) {
        client.destroy(
          Object.assign(new Error(`connect ECONNREFUSED ${formatPeer(addr)}`), { code: 'ECONNREFUSED' }),
        )
        return
      }
      const server = new SimStream(this, addr, local)
      server.other = client
      client.other = server
      accept(server)
      this.clock.setTimeout(() => {
        if (!client.destroyed) client.emit('connect')
      }, delay)
    }, delay)
    return client
  }

  #latency(a: string, b: string): number {
    return this.link(a).latencyMs + this.link(b).latencyMs
  }

  /**
   * Sends `bytes` of connection `flow` from `from` to `to`: through the sender's upload link, shared
   * fairly by its busy connections ({@link FairUplink}), the latency and, when `to` has a download
   * capacity, its download queue. `arrived` gets the time the last byte is in.
   */
  transmit(flow: object, from: string, to: string, bytes: number, arrived: (at: number) => void): void {
    let uplink = this.#uplinks.get(from)
    if (!uplink) {
      uplink = new FairUplink(this.clock, this.link(from).bytesPerSecond)
      this.#uplinks.set(from, uplink)
    }
    uplink.send(flow, bytes, (sent) => {
      const latency = this.#latency(from, to)
      const down = this.link(to).downBytesPerSecond
      if (!down) return arrived(sent + latency)
      // Received as it is sent (cut-through): done when the last byte is in and the download queue drained.
      const received = Math.max(sent + latency, (this.#downlinkFreeAt.get(to) ?? 0) + (bytes * 1000) / down)
      this.#downlinkFreeAt.set(to, received)
      arrived(received)
    })
  }
}

/** One end of a simulated connection. */
class SimStream extends Duplex implements TransportStream {
  readonly remoteAddress: string
  readonly remotePort: number
  readonly localAddress: string
  other: SimStream | undefined
  readonly #net: SimNetwork
  readonly #local: PeerAddress
  /** Arrival time of the last chunk sent (deliveries stay in order). */
  #lastArrival = 0

  constructor(net: SimNetwork, local: PeerAddress, remote: PeerAddress) {
    super()
    this.#net = net
    this.#local = local
    this.remoteAddress = remote.host
    this.remotePort = remote.port
    this.localAddress = local.host
  }

  setNoDelay(): this {
    return this
  }

  override _read(): void {
    // Data is pushed as it arrives.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    // Copied: the writer may reuse its buffer once the write is acknowledged (now).
    this.#send(Buffer.from(chunk))
    callback()
  }

  /** A corked burst (a wire's tick of messages) travels as one chunk: one event, not one per message. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    this.#send(Buffer.concat(chunks.map((c) => c.chunk)))
    callback()
  }

  #send(copy: Buffer): void {
    const other = this.other
    if (!other) return
    const net = this.#net
    net.inFlight += copy.length
    this.#transmit(copy.length, () => {
      net.inFlight -= copy.length
      if (other.destroyed) return
      net.delivered += copy.length
      other.push(copy)
    })
  }

  override _final(callback: (err?: Error | null) => void): void {
    const other = this.other
    if (other) {
      this.#transmit(0, () => {
        if (!other.destroyed) other.push(null)
      })
    }
    callback()
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const other = this.other
    if (other && !other.destroyed) {
      // The other end learns of the close after the data sent before it.
      this.#transmit(0, () => {
        if (other.destroyed) return
        other.other = undefined
        other.destroy()
      })
    }
    this.other = undefined
    callback(err)
  }

  /** Sends `bytes` on this connection; `delivered` runs when they are in, after what was sent before. */
  #transmit(bytes: number, delivered: () => void): void {
    const clock = this.#net.clock
    const to = this.other?.localAddress ?? this.remoteAddress
    this.#net.transmit(this, this.#local.host, to, bytes, (at) => {
      this.#lastArrival = Math.max(this.#lastArrival, at)
      clock.setTimeout(delivered, this.#lastArrival - clock.now())
    })
  }
}
