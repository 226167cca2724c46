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
 * latency, a message readable when its own last byte is in (as TCP delivers a segment), with a send
 * buffer per connection; a close reaches the other end after the data sent before it. No socket, no
 * real timer.
 */
export class SimNetwork {
  readonly clock: VirtualClock
  readonly #links = new Map<string, LinkOptions>()
  readonly #uplinks = new Map<string, FairUplink>()
  readonly #downlinkFreeAt = new Map<string, number>()
  readonly #listeners = new Map<string, (stream: TransportStream) => void>()
  /** Deliveries due at the same virtual time, run by one timer in the order they were queued. */
  readonly #due = new Map<number, (() => void)[]>()
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

  /**
   * Runs `fn` at virtual time `at` (not before now), after the deliveries queued for the same time:
   * the blocks a link finishes together (a HAVE to each of its connections) cost one event, not one each.
   */
  deliverAt(at: number, fn: () => void): void {
    const when = Math.max(at, this.clock.now())
    const batch = this.#due.get(when)
    if (batch) {
      batch.push(fn)
      return
    }
    const fns = [fn]
    this.#due.set(when, fns)
    this.clock.setTimeout(() => {
      this.#due.delete(when)
      for (const f of fns) f()
    }, when - this.clock.now())
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

/**
 * Payload bytes of a full TCP segment: a receiver reads the bytes of a segment when the whole segment
 * is in, so writes whose last bytes share a segment become readable together.
 */
const SEGMENT_BYTES = 1448
/**
 * Bytes a connection may have queued on its sender's link before its writes wait (the kernel's socket
 * send buffer: Linux grew the lab seeder's to 100-700 KB over tc-capped links). Beyond it the stream
 * holds writes, its `writableLength` grows and `write` returns false until `'drain'`, as a socket's.
 */
export const SEND_BUFFER_BYTES = 256 * 1024

/**
 * Splits a burst of writes into the slices a receiver reads at once: consecutive writes whose last
 * bytes fall in the same {@link SEGMENT_BYTES} segment of the burst travel together, so each message
 * of a burst is readable when its own last byte has crossed the link (a block does not wait for the
 * blocks queued behind it), while a run of small messages costs one delivery, not one each. Copies.
 */
function segmentSlices(writes: readonly Uint8Array[]): Buffer[] {
  const slices: Buffer[] = []
  let from = 0
  let offset = 0
  let segment = -1
  for (let i = 0; i < writes.length; i++) {
    const length = writes[i]!.length
    if (length === 0) continue
    const last = Math.floor((offset + length - 1) / SEGMENT_BYTES)
    if (segment >= 0 && last !== segment) {
      slices.push(Buffer.concat(writes.slice(from, i)))
      from = i
    }
    segment = last
    offset += length
  }
  if (offset > 0) slices.push(Buffer.concat(writes.slice(from)))
  return slices
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
  /** Bytes queued on the link that have not left it yet. */
  #unsent = 0
  /** The callback of a write held until the send buffer has room. */
  #waiting: (() => void) | undefined

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
    this.#send([chunk], callback)
  }

  /** A corked burst (a wire's tick of messages) crosses the link in {@link segmentSlices}. */
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (err?: Error | null) => void,
  ): void {
    this.#send(
      chunks.map((c) => c.chunk),
      callback,
    )
  }

  /** Queues a burst on the link; its callback runs once the send buffer has room (at once, usually). */
  #send(writes: Buffer[], callback: () => void): void {
    const other = this.other
    if (other) for (const slice of segmentSlices(writes)) this.#sendSlice(slice, other)
    if (this.#unsent <= SEND_BUFFER_BYTES) callback()
    else this.#waiting = callback
  }

  #sendSlice(copy: Buffer, other: SimStream): void {
    const net = this.#net
    net.inFlight += copy.length
    this.#unsent += copy.length
    this.#transmit(
      copy.length,
      () => {
        net.inFlight -= copy.length
        if (other.destroyed) return
        net.delivered += copy.length
        other.push(copy)
      },
      () => {
        this.#unsent -= copy.length
        const waiting = this.#waiting
        if (waiting && this.#unsent <= SEND_BUFFER_BYTES) {
          this.#waiting = undefined
          waiting()
        }
      },
    )
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
    // A write held for room ends with the stream (its writer may free what it lent).
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.()
    callback(err)
  }

  /**
   * Sends `bytes` on this connection; `delivered` runs when they are in, after what was sent before,
   * and `left` (optional) when their last byte has left this end's link.
   */
  #transmit(bytes: number, delivered: () => void, left?: () => void): void {
    const net = this.#net
    const to = this.other?.localAddress ?? this.remoteAddress
    net.transmit(this, this.#local.host, to, bytes, (at) => {
      this.#lastArrival = Math.max(this.#lastArrival, at)
      net.deliverAt(this.#lastArrival, delivered)
      left?.()
    })
  }
}
