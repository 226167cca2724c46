import { connect, createServer, type Socket } from 'node:net'
import { Duplex } from 'node:stream'
import {
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  FrameParser,
  type Message,
  Wire,
  type WireOptions,
} from '@p2p/peer-wire'

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

/** A wire whose peer is a raw stream the test writes bytes into (after a valid peer handshake). */
export function rawPeer(
  options: Partial<WireOptions> = {},
  peer: { fast?: boolean; extended?: boolean } = {},
) {
  const [sa, sb] = duplexPair()
  const wire = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A, ...options })
  const received: Uint8Array[] = []
  sb.on('data', (c: Uint8Array) => received.push(c))
  const closed = new Promise<PeerWireErrorLike | undefined>((resolve) =>
    wire.once('close', (e) => resolve(e)),
  )
  wire.handshake()
  const handshake = encodeHandshake({
    infoHash: INFO_HASH,
    peerId: PEER_B,
    fast: peer.fast ?? true,
    extended: peer.extended ?? true,
  })
  return {
    wire,
    raw: sb,
    closed,
    received,
    /** Sends the peer handshake and lets the wire process it. */
    handshake: async () => {
      sb.write(handshake)
      await tick()
    },
    /** Sends a message (call `tick()` to let the wire process it). */
    send: (m: Message) => sb.write(encodeMessage(m)),
    /** Every message the wire sent after its handshake. */
    sentMessages(): Message[] {
      const all = Buffer.concat(received)
      const out: Message[] = []
      const p = new FrameParser({
        maxFrame: () => {},
        onHandshake: () => {},
        onFrame: (f) => out.push(decodeMessage(f, BIG_LIMITS)),
      })
      p.push(all)
      return out
    },
  }
}

type PeerWireErrorLike = { code: string }

export const BIG_LIMITS = {
  maxBlockLength: 1 << 20,
  maxBitfieldLength: 1 << 20,
  maxExtendedLength: 1 << 20,
  maxHashes: 1 << 16,
}

/** Lets queued stream events run. */
export const tick = () => new Promise<void>((r) => setImmediate(r))
