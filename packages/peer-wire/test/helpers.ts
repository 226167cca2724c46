import { connect, createServer, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import { Wire, type WireOptions } from '@p2p/peer-wire'

/** Two in-memory duplex streams joined back to back (what one writes, the other reads). */
export function duplexPair(): [Duplex, Duplex] {
  let a: Duplex
  let b: Duplex
  const make = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        other().push(chunk)
        cb()
      },
      final(cb) {
        other().push(null)
        cb()
      },
      destroy(err, cb) {
        const o = other()
        if (!o.destroyed) o.destroy()
        cb(err)
      },
    })
  a = make(() => b)
  b = make(() => a)
  return [a, b]
}

/** Loopback TCP socket pair. */
export async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const accepted = new Promise<Socket>((r) => server.once('connection', r))
  const client = connect(port, '127.0.0.1')
  const [s] = await Promise.all([accepted, new Promise((r) => client.once('connect', r))])
  server.close()
  return [client, s]
}

export const INFO_HASH = new Uint8Array(20).fill(0xaa)
export const PEER_A = new TextEncoder().encode('-PW0001-aaaaaaaaaaaa')
export const PEER_B = new TextEncoder().encode('-PW0001-bbbbbbbbbbbb')

/** Two wires over an in-memory pair, handshaken. */
export async function wirePair(
  a: Partial<WireOptions> = {},
  b: Partial<WireOptions> = {},
): Promise<[Wire, Wire]> {
  const [sa, sb] = duplexPair()
  const wa = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A, ...a })
  const wb = new Wire(sb, { infoHash: INFO_HASH, peerId: PEER_B, ...b })
  const ready = Promise.all([once(wa, 'handshake'), once(wb, 'handshake')])
  wa.handshake()
  wb.handshake()
  await ready
  return [wa, wb]
}

/** Resolves with the arguments of the next `event` of `wire`. */
export function once<T = unknown>(wire: Wire, event: Parameters<Wire['once']>[0]): Promise<T> {
  return new Promise((resolve) => wire.once(event, ((v: T) => resolve(v)) as never))
}
