import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import { UtpConnection, type UtpConnectionOptions } from './connection.js'
import { UtpError, type UtpErrorCode } from './errors.js'
import {
  decodePacket,
  encodePacket,
  HEADER_LENGTH,
  PacketType,
  UTP_VERSION,
  type UtpPacket,
} from './packet.js'
import { ResetLimiter } from './reset-limiter.js'
import { seqAdd } from './seq.js'
import { UtpStream } from './stream.js'

/** Default bound on connections per socket. */
export const DEFAULT_MAX_CONNECTIONS = 512
/** Default RESETs per second to unknown connections. */
export const DEFAULT_RESET_RATE = 50
/** Interval of the timer that drives retransmissions and keep-alives, ms. */
const TICK_MS = 50
/** Path MTU towards a loopback address: 65535 less the IPv4 and UDP headers (probing finds it). */
export const LOOPBACK_PATH_MTU = 65_507
/** Path MTU assumed towards other addresses: Ethernet's 1500 less the IP and UDP headers. */
export const ETHERNET_PATH_MTU = 1472
/** Kernel receive buffer we ask for: a window of packets arriving between two event-loop turns. */
const RECV_BUFFER = 4 << 20

/** Options of a {@link UtpSocket}. */
export interface UtpSocketOptions
  extends Pick<
    UtpConnectionOptions,
    'packetSize' | 'receiveWindow' | 'sendBuffer' | 'targetDelayUs' | 'idleTimeout'
  > {
  /** `'udp4'` (default) or `'udp6'`. */
  type?: 'udp4' | 'udp6'
  /** Most connections at once (incoming SYNs beyond it get a RESET). Default {@link DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number
  /** RESETs per second we send to packets of unknown connections. Default {@link DEFAULT_RESET_RATE}. */
  resetRate?: number
  /** Receives datagrams that are not uTP (a DHT sharing the port: bencoded messages start with `d`). */
  onMessage?: (message: Buffer, remote: RemoteInfo) => void
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number
}

/** Counters of a {@link UtpSocket}. */
export interface UtpSocketStats {
  datagramsIn: number
  /** Datagrams handed to `onMessage` (or dropped when there is none). */
  notUtp: number
  /** Malformed uTP datagrams dropped, by error code. */
  malformed: Partial<Record<UtpErrorCode, number>>
  /** Packets for no known connection. */
  unknownConnection: number
  resetsSent: number
  /** RESETs not sent because of the rate limit. */
  resetsSuppressed: number
  /** Incoming connections refused at the connection limit or while not listening. */
  refused: number
}

interface Entry {
  key: string
  conn: UtpConnection
  stream: UtpStream
}

/** Events of a {@link UtpSocket}. */
export interface UtpSocketEvents {
  /** An incoming connection (only after `listen`). */
  connection: [stream: UtpStream]
  error: [error: Error]
  close: []
}

/**
 * One UDP socket carrying many uTP connections (BEP 29), told apart by address, port and connection id.
 * Incoming SYNs become {@link UtpStream}s on the `connection` event once {@link UtpSocket.listen} was
 * called; {@link UtpSocket.connect} opens outgoing ones. Datagrams that are not uTP go to `onMessage`.
 *
 * @example
 * ```ts
 * const socket = new UtpSocket()
 * await socket.listen(6881)
 * socket.on('connection', (stream) => new Wire(stream, { peerId }))
 * const out = socket.connect(51413, '127.0.0.1')
 * ```
 */
export class UtpSocket extends EventEmitter<UtpSocketEvents> {
  /** Counters (malformed datagrams, RESETs, refusals). */
  readonly stats: UtpSocketStats = {
    datagramsIn: 0,
    notUtp: 0,
    malformed: {},
    unknownConnection: 0,
    resetsSent: 0,
    resetsSuppressed: 0,
    refused: 0,
  }
  readonly #socket: Socket
  readonly #options: UtpSocketOptions
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()
  readonly #dirty = new Set<Entry>()
  readonly #resets: ResetLimiter
  readonly #maxConnections: number
  #flushScheduled = false
  #timer: NodeJS.Timeout | undefined
  #accepting = false
  #closed = false
  readonly #family: 'udp4' | 'udp6'

  constructor(options: UtpSocketOptions = {}) {
    super()
    this.#options = options
    this.#now = options.now ?? (() => performance.now())
    this.#maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    this.#resets = new ResetLimiter(options.resetRate ?? DEFAULT_RESET_RATE, this.#now())
    this.#family = options.type ?? 'udp4'
    this.#socket = createSocket(this.#family)
    this.#socket.on('message', (message, remote) => this.#onMessage(message, remote))
    this.#socket.on('error', (error) => this.emit('error', error))
    this.#socket.once('listening', () => {
      try {
        this.#socket.setRecvBufferSize(RECV_BUFFER)
        this.#socket.setSendBufferSize(RECV_BUFFER)
      } catch {}
    })
  }

  /** Number of connections (including closed ones still answering retransmitted FINs). */
  get connections(): number {
    return this.#entries.size
  }

  /** Binds to `port` (0: any) and `host`, and accepts incoming connections. */
  async listen(port = 0, host?: string): Promise<void> {
    await this.bind(port, host)
    this.#accepting = true
  }

  /** Binds without accepting connections (outgoing only, or a DHT sharing the socket). */
  bind(port = 0, host?: string): Promise<void> {
    if (this.#closed) return Promise.reject(new UtpError('UTP_SOCKET_CLOSED', 'the socket is closed'))
    return new Promise((resolve, reject) => {
      this.#socket.once('error', reject)
      this.#socket.bind(port, host, () => {
        this.#socket.off('error', reject)
        resolve()
      })
    })
  }

  /** The bound address. */
  address(): { address: string; port: number; family: string } {
    return this.#socket.address()
  }

  /** Sends a raw datagram on the shared socket (for a DHT). */
  send(message: Uint8Array, port: number, address: string): void {
    if (!this.#closed) this.#socket.send(message, port, address)
  }

  /**
   * Opens a connection to `host:port`; the stream emits `connect` once the peer acked our SYN, or is
   * destroyed with `UTP_TIMEOUT` (or `UTP_RESET`).
   *
   * @throws {UtpError} `UTP_SOCKET_CLOSED`, `UTP_CONNECTION_LIMIT`.
   */
  connect(port: number, host: string): UtpStream {
    if (this.#closed) throw new UtpError('UTP_SOCKET_CLOSED', 'the socket is closed')
    if (this.#entries.size >= this.#maxConnections) {
      throw new UtpError('UTP_CONNECTION_LIMIT', `already ${this.#entries.size} connections`)
    }
    // A dual-stack IPv6 socket reaches IPv4 peers through their mapped address.
    if (this.#family === 'udp6' && !host.includes(':')) host = `::ffff:${host}`
    let recvId: number
    let key: string
    do {
      recvId = Math.floor(Math.random() * 0x10000)
      key = entryKey(host, port, recvId)
    } while (this.#entries.has(key) || this.#entries.has(entryKey(host, port, seqAdd(recvId, 1))))
    const stream = this.#stream(host, port, true)
    const conn = UtpConnection.connect(recvId, this.#handlers(stream, host, port), this.#connOptions(host))
    this.#add({ key, stream, conn })
    return stream
  }

  /** Destroys every connection and closes the UDP socket. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    for (const entry of [...this.#entries.values()]) entry.stream.destroy()
    this.#entries.clear()
    if (this.#timer) clearInterval(this.#timer)
    return new Promise((resolve) => {
      this.#socket.close(() => {
        this.emit('close')
        resolve()
      })
    })
  }

  #onMessage(message: Buffer, remote: RemoteInfo): void {
    this.stats.datagramsIn++
    if (
      message.length < HEADER_LENGTH ||
      (message[0]! & 15) !== UTP_VERSION ||
      message[0]! >> 4 > PacketType.SYN
    ) {
      this.stats.notUtp++
      this.#options.onMessage?.(message, remote)
      return
    }
    let p: UtpPacket
    try {
      p = decodePacket(message)
    } catch (error) {
      const code = (error as UtpError).code
      this.stats.malformed[code] = (this.stats.malformed[code] ?? 0) + 1
      return
    }
    if (p.type === PacketType.SYN) {
      this.#onSyn(p, remote)
      return
    }
    let entry = this.#entries.get(entryKey(remote.address, remote.port, p.connectionId))
    if (!entry && p.type === PacketType.RESET) {
      // A RESET may carry either of the connection's ids.
      const other = this.#entries.get(entryKey(remote.address, remote.port, seqAdd(p.connectionId, 1)))
      if (other && other.conn.sendId === p.connectionId) entry = other
    }
    if (!entry) {
      this.stats.unknownConnection++
      if (p.type !== PacketType.RESET) this.#sendReset(p, remote)
      return
    }
    entry.conn.receive(p)
    this.#markDirty(entry)
  }

  #onSyn(p: UtpPacket, remote: RemoteInfo): void {
    const recvId = seqAdd(p.connectionId, 1)
    const key = entryKey(remote.address, remote.port, recvId)
    const existing = this.#entries.get(key)
    if (existing) {
      existing.conn.receive(p)
      this.#markDirty(existing)
      return
    }
    if (!this.#accepting || this.#entries.size >= this.#maxConnections) {
      this.stats.refused++
      this.#sendReset(p, remote)
      return
    }
    const stream = this.#stream(remote.address, remote.port, false)
    const handlers = this.#handlers(stream, remote.address, remote.port)
    const entry = this.#add({
      key,
      stream,
      conn: UtpConnection.accept(p, handlers, this.#connOptions(remote.address)),
    })
    this.#markDirty(entry)
    this.emit('connection', stream)
  }

  /** A RESET no larger than the packet that caused it (the header only), rate-limited. */
  #sendReset(p: UtpPacket, remote: RemoteInfo): void {
    if (!this.#resets.take(this.#now())) {
      this.stats.resetsSuppressed++
      return
    }
    this.stats.resetsSent++
    const { bytes } = encodePacket(
      {
        type: PacketType.RESET,
        connectionId: p.connectionId,
        timestamp: 0,
        timestampDiff: 0,
        windowSize: 0,
        seq: 0,
        ack: p.seq,
      },
      0,
    )
    this.#socket.send(bytes, remote.port, remote.address)
  }

  #stream(address: string, port: number, connecting: boolean): UtpStream {
    const local = this.#safeAddress()
    return new UtpStream(
      {
        remoteAddress: address,
        remotePort: port,
        remoteFamily: address.includes(':') ? 'IPv6' : 'IPv4',
        localAddress: local?.address,
        localPort: local?.port,
      },
      connecting,
    )
  }

  #add(entry: Entry): Entry {
    this.#entries.set(entry.key, entry)
    entry.stream.attach(entry.conn, () => this.#markDirty(entry))
    this.#ensureTimer()
    return entry
  }

  #handlers(stream: UtpStream, address: string, port: number) {
    return stream.handlers((datagram) => {
      if (!this.#closed) this.#socket.send(datagram, port, address)
    })
  }

  #connOptions(host: string): UtpConnectionOptions {
    const o = this.#options
    const options: UtpConnectionOptions = { now: this.#now, pathMtu: pathMtu(host) }
    if (o.packetSize !== undefined) options.packetSize = o.packetSize
    if (o.receiveWindow !== undefined) options.receiveWindow = o.receiveWindow
    if (o.sendBuffer !== undefined) options.sendBuffer = o.sendBuffer
    if (o.targetDelayUs !== undefined) options.targetDelayUs = o.targetDelayUs
    if (o.idleTimeout !== undefined) options.idleTimeout = o.idleTimeout
    return options
  }

  #safeAddress(): { address: string; port: number } | undefined {
    try {
      return this.#socket.address()
    } catch {
      return undefined
    }
  }

  #markDirty(entry: Entry): void {
    this.#dirty.add(entry)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#flushScheduled = false
    for (const entry of this.#dirty) entry.conn.flush()
    this.#dirty.clear()
  }

  #ensureTimer(): void {
    if (this.#timer) return
    this.#timer = setInterval(() => this.#tick(), TICK_MS)
    this.#timer.unref()
  }

  #tick(): void {
    for (const entry of this.#entries.values()) {
      entry.conn.tick()
      entry.conn.flush()
      if (entry.conn.state === 'closed' && !entry.conn.lingering) this.#entries.delete(entry.key)
    }
    if (this.#entries.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}

/** The path MTU towards `host` for MTU probing: loopback's, else Ethernet's (IPv6: 20 bytes less). */
function pathMtu(host: string): number {
  const v6 = host.includes(':') && !host.startsWith('::ffff:')
  const loopback = host === '::1' || /^(::ffff:)?127\./.test(host)
  return (loopback ? LOOPBACK_PATH_MTU : ETHERNET_PATH_MTU) - (v6 ? 20 : 0)
}

function entryKey(address: string, port: number, recvId: number): string {
  return `${address}|${port}|${recvId}`
}
