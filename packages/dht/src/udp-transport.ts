import { createSocket, type Socket } from 'node:dgram'
import { normalizeIp, type PeerAddress } from '@p2p/peer-address'
import type { DhtTransport } from './transport.js'

/** Options of {@link createUdpTransport}. */
export interface UdpTransportOptions {
  /** IPv4 address to bind; omit for no IPv4 socket (when `host6` is set). Default `0.0.0.0`. */
  host?: string
  /** IPv6 address to bind (BEP 32), e.g. `::1`; omit for IPv4 only. */
  host6?: string
  /** UDP port (0 = any; the IPv6 socket uses the same port as the IPv4 one when possible). */
  port?: number
}

/**
 * A {@link DhtTransport} over `node:dgram`: one udp4 socket, plus a udp6 one when `host6` is given.
 *
 * @example
 * ```ts
 * const transport = await createUdpTransport({ host: '127.0.0.1', port: 6881 })
 * ```
 */
export async function createUdpTransport(options: UdpTransportOptions = {}): Promise<DhtTransport> {
  const sockets = new Map<4 | 6, Socket>()
  let handler: (data: Uint8Array, from: PeerAddress) => void = () => {}
  let port = options.port ?? 0
  const bind = async (family: 4 | 6, host: string) => {
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    // A send to an unreachable address reports an error on the socket; UDP is best effort.
    socket.on('error', () => {})
    socket.on('message', (msg, rinfo) => handler(msg, { host: normalizeIp(rinfo.address), port: rinfo.port }))
    port = socket.address().port
    sockets.set(family, socket)
  }
  if (options.host !== undefined || options.host6 === undefined) await bind(4, options.host ?? '0.0.0.0')
  if (options.host6 !== undefined) await bind(6, options.host6)
  return {
    send(data, to) {
      const socket = sockets.get(to.host.includes(':') ? 6 : 4)
      socket?.send(data, to.port, to.host)
    },
    onMessage(h) {
      handler = h
    },
    addresses() {
      return [...sockets.values()].map((s) => ({ host: s.address().address, port: s.address().port }))
    },
    async close() {
      await Promise.all(
        [...sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      )
      sockets.clear()
    },
  }
}
