import { Duplex, PassThrough } from 'node:stream'
import { Wire } from '@p2p/peer-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { cancelOnPeer, PeerSession, type PeerSessionEvents } from '../src/peer-session.js'

const infoHash = new Uint8Array(20).fill(7)
const idOf = (c: string) => new TextEncoder().encode(c.repeat(20))

/** Two in-memory streams joined back to back (what one writes, the other reads). */
function streams(): [Duplex, Duplex] {
  const ab = new PassThrough()
  const ba = new PassThrough()
  return [Duplex.from({ readable: ba, writable: ab }), Duplex.from({ readable: ab, writable: ba })]
}

const open: Wire[] = []
afterEach(() => {
  for (const w of open.splice(0)) w.destroy()
})

/** A session on one end of a connection (events recorded by name) and a plain wire on the other. */
async function connected() {
  const [a, b] = streams()
  const wire = new Wire(a, { infoHash, peerId: idOf('a') })
  const remote = new Wire(b, { infoHash, peerId: idOf('b') })
  open.push(wire, remote)
  const seen: string[] = []
  let handedOut: Wire | undefined
  const record =
    (name: string) =>
    (...args: unknown[]) =>
      seen.push(args[0] === undefined ? name : `${name} ${String(args[0])}`)
  const events: Partial<PeerSessionEvents> = {
    handshake: (_h, w) => {
      handedOut = w
      seen.push('handshake')
    },
    have: record('have'),
    interested: record('interested'),
    uninterested: record('uninterested'),
    close: record('close'),
  }
  const session = new PeerSession(
    wire,
    {
      addr: { host: '127.0.0.1', port: 1 },
      incoming: false,
      encryption: 'plain',
      transport: 'tcp',
      now: Date.now,
    },
    // only the events this test listens to (the session binds the ones it is given)
    () => events as PeerSessionEvents,
  )
  const ready = new Promise((r) => remote.once('handshake', r))
  wire.handshake()
  remote.handshake()
  await ready
  await until(() => session.peerId !== undefined)
  return { session, wire, remote, seen, handedOut: () => handedOut }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5))
}

describe('PeerSession', () => {
  it('reports the wire events it was given, and hands its wire out only with the handshake', async () => {
    const { session, wire, remote, seen, handedOut } = await connected()
    expect(handedOut()).toBe(wire)
    expect(Buffer.from(session.peerId!).toString()).toBe('b'.repeat(20))
    remote.setTorrent({ pieceCount: 8 })
    remote.have(3)
    remote.interested()
    await until(() => seen.includes('interested'))
    expect(seen).toEqual(['handshake', 'have 3', 'interested'])
    expect(session.peerInterested).toBe(true)
  })

  it('sends interest only on a change', async () => {
    const { session, remote } = await connected()
    const got: string[] = []
    remote.on('interested', () => got.push('interested'))
    remote.on('uninterested', () => got.push('uninterested'))
    session.setInterested(true)
    session.setInterested(true)
    expect(session.amInterested).toBe(true)
    session.setInterested(false)
    session.setInterested(false)
    session.setInterested(true)
    await until(() => got.length >= 3)
    expect(got).toEqual(['interested', 'uninterested', 'interested'])
  })

  it('cancels through cancelOnPeer, and leaves a holder that is not a session alone', async () => {
    const { session, remote } = await connected()
    remote.setTorrent({ pieceCount: 4, pieceLength: 16384, length: 65536 })
    session.setTorrent({ pieceCount: 4, pieceLength: 16384, length: 65536 })
    const cancels: number[] = []
    remote.on('request', () => {})
    remote.on('cancel', (r) => cancels.push(r.index))
    remote.unchoke()
    await until(() => !session.peerChoking)
    session.request(2, 0, 16384, undefined, () => {})
    expect(session.outstandingRequests).toBe(1)
    cancelOnPeer({ url: 'http://web.seed/' }, 2, 0, 16384)
    expect(session.outstandingRequests).toBe(1)
    cancelOnPeer(session, 2, 0, 16384)
    expect(session.outstandingRequests).toBe(0)
    await until(() => cancels.length > 0)
    expect(cancels).toEqual([2])
  })

  it('close() closes the wire, and the close event goes up', async () => {
    const { session, seen } = await connected()
    session.close()
    expect(session.destroyed).toBe(true)
    await until(() => seen.includes('close'))
  })
})
