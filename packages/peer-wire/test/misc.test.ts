import { Bitfield, encodeHandshake, RATE_WINDOW_SECONDS, RateMeter, Wire } from '@p2p/peer-wire'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { INFO_HASH, once, PEER_A, PEER_B, rawPeer, socketPair, tick, wirePair } from './helpers.js'

describe('DHT port (BEP 5)', () => {
  it('sets the DHT bit and sends the port after the availability message', async () => {
    const p = rawPeer({ dhtPort: 6882, pieceCount: 8 })
    p.raw.write(
      encodeHandshake({
        infoHash: new Uint8Array(20).fill(0xaa),
        peerId: new Uint8Array(20),
        dht: true,
        fast: true,
      }),
    )
    await tick()
    p.wire.haveNone()
    await tick()
    expect(Buffer.concat(p.received)[27]! & 0x01).toBe(1)
    expect(p.sentMessages().map((m) => m.type)).toEqual(['have-none', 'port'])
    expect(p.sentMessages()[1]).toEqual({ type: 'port', port: 6882 })
    p.wire.destroy()
  })

  it('emits the peer port', async () => {
    const [a, b] = await wirePair({}, {})
    const port = once<number>(a, 'port')
    b.port(4444)
    expect(await port).toBe(4444)
    a.destroy()
  })
})

describe('RateMeter', () => {
  it('averages bytes over the window', () => {
    let now = 1_000_000
    const m = new RateMeter(() => now)
    m.add(5000)
    m.flush()
    expect(m.rate()).toBe(5000 / RATE_WINDOW_SECONDS)
    now += 1000
    m.add(5000)
    expect(m.rate()).toBe(10000 / RATE_WINDOW_SECONDS)
    now += RATE_WINDOW_SECONDS * 1000
    expect(m.rate()).toBe(0)
  })
})

describe('Bitfield', () => {
  it('sets, clears, counts and grows', () => {
    const b = new Bitfield(10)
    b.set(0)
    b.set(9)
    expect([...b.buffer]).toEqual([0x80, 0x40])
    expect(b.count()).toBe(2)
    b.set(9, false)
    expect(b.get(9)).toBe(false)
    b.set(100)
    expect(b.get(100)).toBe(true)
    b.setAll(13)
    expect(b.hasAll(13)).toBe(true)
    expect(b.get(13)).toBe(false)
    expect(b.count()).toBe(13)
  })

  it('copies the bits of a fixed length, counts, fills and lists them', () => {
    const b = new Bitfield(10, Uint8Array.of(0xa0, 0xff, 0xff))
    // Bits past the length are not taken (the spare bits of the last byte stay 0).
    expect([...b.buffer]).toEqual([0xa0, 0xc0])
    expect(b.length).toBe(10)
    expect([...b.ones()]).toEqual([0, 2, 8, 9])
    expect(b.count()).toBe(4)
    expect(b.full()).toBe(false)
    b.fill()
    expect(b.full()).toBe(true)
    expect(b.count()).toBe(10)
    expect([...b.buffer]).toEqual([0xff, 0xc0])
    b.set(4, false)
    expect(b.count()).toBe(9)
    expect(b.get(-1)).toBe(false)
    expect(() => b.set(-1)).toThrow(RangeError)
    expect(() => new Bitfield(-1)).toThrow(RangeError)
  })

  it('recounts bytes given as they are', () => {
    const b = new Bitfield(Uint8Array.of(0xf0, 0x01))
    expect(b.length).toBe(16)
    expect(b.count()).toBe(5)
    b.buffer = Uint8Array.of(0x80)
    expect(b.length).toBe(8)
    expect(b.count()).toBe(1)
    expect(b.get(0)).toBe(true)
  })
})

describe('resources', () => {
  it('leaves no sockets or timers behind after destroy', async () => {
    const count = () => {
      const info = process.getActiveResourcesInfo()
      return {
        tcp: info.filter((r) => r === 'TCPSocketWrap').length,
        timers: info.filter((r) => r === 'Timeout').length,
      }
    }
    const before = count()
    const wires: Wire[] = []
    for (let i = 0; i < 10; i++) {
      const [ca, cb] = await socketPair()
      const a = new Wire(ca, { infoHash: INFO_HASH, peerId: PEER_A, pexInterval: 10 })
      const b = new Wire(cb, { infoHash: INFO_HASH, peerId: PEER_B })
      const hs = Promise.all([once(a, 'extended-handshake'), once(b, 'extended-handshake')])
      a.handshake()
      b.handshake()
      await hs
      a.sendPex({ added: [{ host: '10.0.0.1', port: 1 }] })
      void a.request(0, 0, 16384).catch(() => {})
      wires.push(a, b)
    }
    expect(count().tcp).toBeGreaterThanOrEqual(before.tcp + 20)
    const closed = wires.map((w) => new Promise((r) => (w.destroyed ? r(null) : w.once('close', r))))
    for (const w of wires) w.destroy()
    await Promise.all(closed)
    await waitFor(() => count().tcp <= before.tcp, 5000, 'sockets closed')
    expect(count().timers).toBeLessThanOrEqual(before.timers)
  })
})
