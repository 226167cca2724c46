import type { Duplex } from 'node:stream'
import type { PeerAddress } from '@p2p/peer-address'
import { UtpSocket } from '@p2p/utp'
import { SwarmError } from './errors.js'
import { dialStream, type SwarmTransport, type TransportStream } from './runtime.js'
import { SharedUdp } from './shared-udp.js'
import { tcpTransport } from './tcp-transport.js'

/** A transport for peer connections: uTP (BEP 29) over the UDP port, or TCP. */
export type Transport = 'utp' | 'tcp'

/**
 * Transports accepted for incoming connections and tried, in order, for outgoing ones. Both are on;
 * TCP is tried first: a leecher over our uTP spends about twice the CPU per GiB it does over TCP
 * (`pnpm --filter @p2p/swarm bench:utp`), and a TCP-only peer would cost every dial a uTP timeout
 * first (libtorrent tries uTP first).
 */
export const DEFAULT_TRANSPORTS: readonly Transport[] = ['tcp', 'utp']

/** How long an outgoing connect on one transport may take before the next one is tried, ms. */
export const UTP_CONNECT_TIMEOUT_MS = 3_000

/** The transport of a connected peer's stream (a uTP stream says so; anything else counts as TCP). */
export function transportOf(socket: Duplex): Transport {
  return (socket as Duplex & { transport?: string }).transport === 'utp' ? 'utp' : 'tcp'
}

/** Handshaken peers counted by the transport of their stream. */
export function countTransports(
  peers: Iterable<{ handshaken: boolean; transport: Transport }>,
): Record<Transport, number> {
  const counts: Record<Transport, number> = { utp: 0, tcp: 0 }
  for (const p of peers) if (p.handshaken) counts[p.transport]++
  return counts
}

/**
 * Parses a transport list such as `utp,tcp` (order is preference).
 * @throws {SwarmError} `SWARM_INVALID_ARGUMENT` on an unknown or empty list.
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

/**
 * The real network: TCP and uTP on the same port number (uTP on UDP), outgoing connections trying
 * `order` in turn, each but the last for at most {@link UTP_CONNECT_TIMEOUT_MS}. uTP is skipped when
 * its UDP port could not be bound (a warning says so). The listener's `udp` lets a DHT node share
 * uTP's socket (KRPC datagrams start with `d`, which no uTP header does). With uTP on, it can also
 * punch (BEP 55).
 */
export function internetTransport(order: readonly Transport[]): SwarmTransport {
  let utp: UtpSocket | undefined
  const attempt = (
    transport: Transport,
    addr: PeerAddress,
    receive: ((chunk: Uint8Array) => void) | undefined,
    done: Done,
  ) =>
    transport === 'tcp'
      ? tcpTransport.dial(addr, receive, done)
      : dialStream(utp!.connect(addr.port, addr.host) as TransportStream, done)
  return {
    async listen(options, onConnection, onError, onWarning) {
      const tcp = order.includes('tcp')
        ? await tcpTransport.listen(options, onConnection, onError, onWarning)
        : undefined
      const port = tcp?.port ?? options.port
      const shared = new SharedUdp()
      if (order.includes('utp')) {
        const host = options.host ?? (tcp?.host || undefined)
        try {
          utp = new UtpSocket({
            type: host?.includes(':') ? 'udp6' : 'udp4',
            onMessage: (message, remote) => shared.route(message, remote),
          })
          utp.on('error', (err: Error) => onWarning?.(`uTP socket: ${err.message}`, err))
          await utp.listen(port, host)
          utp.on('connection', (stream) => onConnection(stream as TransportStream))
        } catch (err) {
          utp = undefined
          if (!tcp) throw err
          onWarning?.(`uTP disabled: cannot bind UDP port ${port}`, err)
        }
      }
      const socket = utp
      return {
        port: tcp?.port ?? socket?.address().port ?? port,
        host: tcp?.host,
        udp: socket && shared.transport(socket),
        async close() {
          await tcp?.close()
          await socket?.close()
        },
      }
    },
    dial(addr, receive, done) {
      const tries = order.filter((t) => t === 'tcp' || utp)
      let cancel: (() => void) | undefined
      let timer: NodeJS.Timeout | undefined
      let abandoned = false
      const next = (i: number, lastError?: Error) => {
        const transport = tries[i]
        if (!transport) return done(lastError ?? new Error('no transport to dial'))
        const last = i === tries.length - 1
        if (!last) {
          timer = setTimeout(() => {
            cancel?.()
            next(i + 1, new Error(`${transport} connect timeout`))
          }, UTP_CONNECT_TIMEOUT_MS)
        }
        cancel = attempt(transport, addr, receive, (error, stream) => {
          clearTimeout(timer)
          if (abandoned) return stream?.destroy()
          if (error && !last) return next(i + 1, error)
          done(error, stream)
        })
      }
      next(0)
      return () => {
        abandoned = true
        clearTimeout(timer)
        cancel?.()
      }
    },
    // BEP 55: only with uTP on (a uTP socket that failed to bind fails the punch at once).
    ...(order.includes('utp') && {
      punch(addr: PeerAddress, done: Done) {
        if (!utp) {
          done(new Error('uTP is off: cannot punch'))
          return () => {}
        }
        return dialStream(utp.connect(addr.port, addr.host) as TransportStream, done)
      },
    }),
  }
}

type Done = (error: Error | undefined, stream?: TransportStream) => void
