import { BitField, encodeHandshake, RATE_WINDOW_SECONDS, RateMeter } from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'
import { once, rawPeer, tick, wirePair } from './helpers.js'

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

describe('BitField', () => {
  it('sets, clears, counts and grows', () => {
    const b = new BitField(10)
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
})
