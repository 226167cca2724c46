import { PeerBook, RateMeter } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

describe('PeerBook', () => {
  it('hands out due peers, backs off failures and never redials banned ones', () => {
    let now = 0
    const book = new PeerBook({ now: () => now })
    const a = { host: '10.0.0.1', port: 1 }
    const b = { host: '10.0.0.2', port: 2 }
    expect(book.add(a, 'tracker')).toBe(true)
    expect(book.add(a, 'tracker')).toBe(false)
    book.add(b, 'pex')
    expect(book.candidates(5).peers).toHaveLength(2)
    book.dialing(a)
    book.failed(a)
    expect(book.candidates(5).peers).toEqual([b])
    expect(book.candidates(5).nextInMs).toBe(1000)
    now = 1000
    expect(book.candidates(5).peers).toHaveLength(2)
    book.failed(a)
    now = 2000
    expect(book.candidates(5).peers).toEqual([b])
    book.connected(b)
    expect(book.isConnected(b)).toBe(true)
    expect(book.connectedPeers()).toEqual([b])
    book.never(a)
    now = 1e9
    expect(book.candidates(5).peers).toEqual([])
    book.disconnected(b)
    expect(book.candidates(5).peers).toEqual([])
    now += 10_000
    expect(book.candidates(5).peers).toEqual([b])
  })

  it('is bounded', () => {
    const book = new PeerBook({ maxKnown: 2 })
    for (let i = 1; i <= 5; i++) book.add({ host: '10.0.0.1', port: i }, 'pex')
    expect(book.size).toBe(2)
  })
})

describe('RateMeter', () => {
  it('averages over its window', () => {
    let now = 0
    const m = new RateMeter(() => now)
    m.add(1000)
    now = 1000
    expect(m.rate()).toBeCloseTo(1000)
    now = 20_000
    expect(m.rate()).toBe(0)
  })
})
