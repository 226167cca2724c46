import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PeerAddress } from '@p2p/peer-address'
import { UtpSocket, type UtpStream } from '@p2p/utp'
import { SwarmError } from './errors.js'

/** A transport for peer connections: uTP (BEP 29) over the UDP port, or TCP. */
export type Transport = 'utp' | 'tcp'

/** Transports tried for outgoing connections, in order, and accepted for incoming ones (libtorrent's default). */
export const DEFAULT_TRANSPORTS: readonly Transport[] = ['utp', 'tcp']

/** How long an outgoing uTP connect may take before the next transport is tried, ms. */
export const UTP_CONNECT_TIMEOUT_MS = 3_000

/** A peer connection's stream: a `net.Socket` or a {@link UtpStream}. */
export type PeerSocket = Duplex & {
  remoteAddress?: string | undefined
  remotePort?: number | undefined
  localAddress?: string | undefined
  setNoDelay?: (noDelay?: boolean) => unknown
  /** `'utp'` on a {@link UtpStream}; absent on TCP. */
  transport?: 'utp'
}

/** The transport of a connected peer's stream. */
export function transportOf(socket: Duplex): Transport {
  return (socket as PeerSocket).transport === 'utp' ? 'utp' : 'tcp'
}

/** Handshaken peers counted by the transport of their stream. */
export function countTransports(
  peers: Iterable<{ handshaken: boolean; wire: { stream: Duplex } }>,
): Record<Transport, number> {
  const counts: Record<Transport, number> = { utp: 0, tcp: 0 }
  for (const p of peers) if (p.handshaken) counts[transportOf(p.wire.stream)]++
  return counts
}

/**
 * Parses a transport list such as `utp,tcp` (order is preference).
 * @throws {SwarmError} `SWARM_BAD_OPTION` on an unknown or empty list.
 */
export function parseTransports(list: string | readonly string[]): Transport[] {
  const names = (typeof list === 'string' ? list.split(',') : [...list]).map((n) => n.trim()).filter(Boolean)
  const out: Transport[] = []
  for (const n of names) {
    if (n !== 'utp' && n !== 'tcp')
      throw new SwarmError('SWARM_INVALID_ARGUMENT', `expected utp or tcp, got ${n}`)
    if (!out.includes(n)) out.push(n)
  }
  if (out.length === 0) throw new SwarmError('SWARM_INVALID_ARGUMENT', 'expected at least one transport')
  return out
}

/** Binds the uTP socket of a client on its TCP port; incoming uTP connections go to `onConnection`. */
export async function listenUtp(
  port: number,
  host: string | undefined,
  onConnection: (stream: UtpStream) => void,
): Promise<UtpSocket> {
  const socket = new UtpSocket({ type: host?.includes(':') ? 'udp6' : 'udp4' })
  await socket.listen(port, host)
  socket.on('connection', onConnection)
  socket.on('error', () => {})
  return socket
}

/** What {@link dialPeer} needs. */
export interface DialOptions {
  transports: readonly Transport[]
  /** The client's uTP socket (uTP is skipped without one). */
  utp: UtpSocket | undefined
  /** Connect timeout of the last transport, ms. */
  timeoutMs: number
  /** TCP reads land in this reused buffer and go to `receive` (no `'data'` events). */
  readBuffer: Buffer
  receive: (chunk: Uint8Array) => void
}

/**
 * Connects to `addr` trying each transport in order, as libtorrent does (uTP first, TCP when it fails);
 * `done` gets the connected stream or the last error. Returns a function that cancels the attempt.
 */
export function dialPeer(
  addr: PeerAddress,
  options: DialOptions,
  done: (error: Error | undefined, socket?: PeerSocket) => void,
): () => void {
  const order = options.transports.filter((t) => t === 'tcp' || options.utp)
  let current: PeerSocket | undefined
  let timer: NodeJS.Timeout | undefined
  let finished = false
  const attempt = (i: number, lastError?: Error) => {
    const transport = order[i]
    if (!transport) {
      finished = true
      done(lastError ?? new Error('no transport to dial'))
      return
    }
    const last = i === order.length - 1
    const socket: PeerSocket =
      transport === 'utp'
        ? options.utp!.connect(addr.port, addr.host)
        : connect({
            host: addr.host,
            port: addr.port,
            onread: {
              buffer: options.readBuffer,
              callback: (n, buf) => {
                options.receive(buf.subarray(0, n))
                return true
              },
            },
          })
    current = socket
    const fail = (error: Error) => {
      clearTimeout(timer)
      socket.off('connect', onConnect)
      socket.destroy()
      if (!finished) attempt(i + 1, error)
    }
    const onError = (error: Error) => fail(error)
    const onConnect = () => {
      clearTimeout(timer)
      socket.off('error', onError)
      finished = true
      done(undefined, socket)
    }
    timer = setTimeout(
      () => fail(new Error(`${transport} connect timeout`)),
      last ? options.timeoutMs : Math.min(UTP_CONNECT_TIMEOUT_MS, options.timeoutMs),
    )
    socket.once('error', onError)
    socket.once('connect', onConnect)
  }
  attempt(0)
  return () => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    current?.destroy()
  }
}
