import {
  type ExtensionContext,
  PeerProtocol,
  type PeerWireError,
  Wire,
  type WireEvents,
  type WireTransport,
} from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'
import { duplexPair, INFO_HASH, PEER_A, PEER_B } from './helpers.js'

/** A transport that only records what the protocol writes: no stream, no socket, no timer. */
function recordingTransport() {
  const written: Uint8Array[] = []
  const t: WireTransport & { written: Uint8Array[]; destroyed: boolean } = {
    written,
    destroyed: false,
    write(data, onWritten) {
      written.push(Uint8Array.from(data))
      onWritten?.()
      return true
    },
    cork() {},
    uncork() {},
    writableLength: 0,
    writableNeedDrain: false,
    pause() {},
    resume() {},
    destroy() {
      t.destroyed = true
    },
  }
  return t
}

/** An event sink that records every event. */
function recordingSink() {
  const events: Array<[keyof WireEvents, unknown[]]> = []
  return {
    events,
    emit: (event: keyof WireEvents, ...args: unknown[]) => {
      events.push([event, args])
    },
    listens: () => true,
  }
}

/** A manual clock: time moves only when the test says so. */
function manualClock() {
  let now = 0
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => {},
    advance: (ms: number) => {
      now += ms
    },
  }
}

const flushTicks = () => new Promise((r) => setImmediate(r))

/** Two protocols joined by hand: what one writes, the test feeds to the other. */
function protocolPair() {
  const clock = manualClock()
  const ta = recordingTransport()
  const tb = recordingTransport()
  const ea = recordingSink()
  const eb = recordingSink()
  const a = new PeerProtocol(ta, ea, {
    infoHash: INFO_HASH,
    peerId: PEER_A,
    pieceCount: 4,
    pieceLength: 16384,
    length: 65536,
    clock,
  })
  const b = new PeerProtocol(tb, eb, {
    infoHash: INFO_HASH,
    peerId: PEER_B,
    pieceCount: 4,
    pieceLength: 16384,
    length: 65536,
    clock,
  })
  /** Delivers everything written so far, both ways, until nothing moves. */
  const pump = async () => {
    for (let i = 0; i < 10; i++) {
      await flushTicks()
      const fromA = ta.written.splice(0)
      const fromB = tb.written.splice(0)
      if (fromA.length === 0 && fromB.length === 0) return
      for (const c of fromA) b.receive(c)
      for (const c of fromB) a.receive(c)
    }
  }
  return { a, b, ta, tb, ea, eb, clock, pump }
}

describe('PeerProtocol without I/O', () => {
  it('handshakes and transfers a block with bytes passed by hand', async () => {
    const { a, b, eb, pump } = protocolPair()
    a.handshake()
    b.handshake()
    await pump()
    expect(eb.events.map(([e]) => e)).toContain('handshake')
    b.haveAll()
    a.haveNone()
    b.unchoke()
    await pump()
    const block = new Uint8Array(16384).fill(7)
    const got = a.request(1, 0, 16384)
    await pump()
    const request = eb.events.find(([e]) => e === 'request')?.[1][0] as { index: number; begin: number }
    expect(request).toMatchObject({ index: 1, begin: 0, length: 16384 })
    b.piece(1, 0, block)
    await pump()
    expect(Buffer.from(await got).equals(block)).toBe(true)
  })

  it('times out a silent peer only when the owner ticks past the deadline', async () => {
    const { a, ea, ta, clock } = protocolPair()
    a.handshake()
    clock.advance(a.tickInterval)
    a.tick()
    expect(a.destroyed).toBe(false)
    clock.advance(60_000)
    a.tick()
    expect(a.destroyed).toBe(true)
    expect(ta.destroyed).toBe(true)
    const [, [err]] = ea.events.find(([e]) => e === 'close')!
    expect((err as PeerWireError).code).toBe('PEER_WIRE_HANDSHAKE_TIMEOUT')
  })

  it('closes with PEER_WIRE_BAD_MESSAGE when the transport ends inside a message', async () => {
    const { a, b, ea, pump } = protocolPair()
    a.handshake()
    b.handshake()
    await pump()
    a.receive(Uint8Array.of(0, 0, 0, 5, 4))
    a.ended()
    const [, [err]] = ea.events.find(([e]) => e === 'close')!
    expect((err as PeerWireError).code).toBe('PEER_WIRE_BAD_MESSAGE')
  })
})

describe('extensions get a narrow context', () => {
  it('a factory extension sends and emits through its context, never through the wire', async () => {
    const [sa, sb] = duplexPair()
    const a = new Wire(sa, { infoHash: INFO_HASH, peerId: PEER_A })
    const b = new Wire(sb, { infoHash: INFO_HASH, peerId: PEER_B })
    let ctx: ExtensionContext | undefined
    const received: number[] = []
    const hello = a.use((context) => {
      ctx = context
      return {
        name: 'x_hello',
        onMessage: () => {},
        greet: () => context.sendExtended('x_hello', Uint8Array.of(42)),
      }
    })
    b.use({ name: 'x_hello', onMessage: (payload) => received.push(payload[0]!) })
    const shaken = new Promise((r) => a.once('extended-handshake', r))
    a.handshake()
    b.handshake()
    a.haveNone()
    b.haveNone()
    await shaken
    hello.greet()
    await new Promise((r) => setTimeout(r, 20))
    expect(received).toEqual([42])
    expect(ctx?.infoHash).toEqual(INFO_HASH)
    expect(ctx?.peerSupports('x_hello')).toBe(true)
    // events come only from the protocol and its extensions
    expect((a as unknown as { emit?: unknown }).emit).toBeUndefined()
    a.destroy()
    b.destroy()
  })
})
