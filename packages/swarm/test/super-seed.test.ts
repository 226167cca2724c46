import { Bitfield, SuperSeeder } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

const flat = (m: Map<string, number[]>, peer: string) => m.get(peer) ?? []

describe('SuperSeeder (BEP 16)', () => {
  it('shows each peer different pieces nobody has yet', () => {
    const ss = new SuperSeeder<string>({ pieceCount: 8, piecesPerPeer: 2 })
    const a = flat(ss.addPeer('a', 'none'), 'a')
    const b = flat(ss.addPeer('b', 'none'), 'b')
    expect(a).toHaveLength(2)
    expect(b).toHaveLength(2)
    expect(new Set([...a, ...b]).size).toBe(4)
    for (const i of a) expect(ss.shown('a', i)).toBe(true)
    for (const i of b) expect(ss.shown('a', i)).toBe(false)
  })

  it('shows a peer a new piece only once one of its pieces is seen on another peer', () => {
    const ss = new SuperSeeder<string>({ pieceCount: 8, piecesPerPeer: 1, random: () => 0 })
    const [a0] = flat(ss.addPeer('a', 'none'), 'a')
    const [b0] = flat(ss.addPeer('b', 'none'), 'b')
    // a downloads its piece from us: nothing new for it while b still lacks it.
    expect(ss.peerHas('a', a0!).size).toBe(0)
    expect(ss.pending('a')).toEqual([a0])
    // b gets a's piece (from a): a's piece is confirmed, a gets a new one.
    const m = ss.peerHas('b', a0!)
    expect(flat(m, 'a')).toHaveLength(1)
    expect(flat(m, 'a')[0]).not.toBe(a0)
    expect(flat(m, 'a')[0]).not.toBe(b0)
    expect(flat(m, 'b')).toEqual([])
  })

  it('prefers pieces never shown, then the rarest', () => {
    const ss = new SuperSeeder<string>({ pieceCount: 4, piecesPerPeer: 1, random: () => 0.99 })
    const has = new Bitfield(4)
    has.set(0)
    const [x] = flat(ss.addPeer('x', has), 'x') // x already has piece 0
    expect(x).not.toBe(0)
    const [a] = flat(ss.addPeer('a', 'none'), 'a')
    const [b] = flat(ss.addPeer('b', 'none'), 'b')
    expect(new Set([x, a, b])).toEqual(new Set([1, 2, 3]))
    // Every piece is out: the next one is the rarest (piece 0: one copy; the others: shown once).
    const [c] = flat(ss.addPeer('c', 'none'), 'c')
    expect([0, 1, 2, 3]).toContain(c)
  })

  it('does not hold back a lone leecher', () => {
    const ss = new SuperSeeder<string>({ pieceCount: 4, piecesPerPeer: 1 })
    const [a0] = flat(ss.addPeer('a', 'none'), 'a')
    const more = flat(ss.peerHas('a', a0!), 'a')
    expect(more).toHaveLength(1)
    expect(more[0]).not.toBe(a0)
  })

  it('gives a stuck peer one more piece after the stall time', () => {
    let now = 0
    const ss = new SuperSeeder<string>({ pieceCount: 6, piecesPerPeer: 1, stallMs: 1000, now: () => now })
    const [a0] = flat(ss.addPeer('a', 'none'), 'a')
    ss.addPeer('b', 'none')
    ss.peerHas('a', a0!)
    now = 500
    expect(ss.refresh().size).toBe(0)
    now = 1600
    const m = ss.refresh()
    expect(flat(m, 'a')).toHaveLength(1)
    // b still downloads its piece: not stuck.
    expect(flat(m, 'b')).toEqual([])
  })

  it('ignores seeds and forgets peers that leave', () => {
    const ss = new SuperSeeder<string>({ pieceCount: 4, piecesPerPeer: 2 })
    expect(flat(ss.addPeer('seed', 'all'), 'seed')).toEqual([])
    ss.addPeer('a', 'none')
    expect(ss.size).toBe(2)
    ss.removePeer('a')
    expect(ss.hasPeer('a')).toBe(false)
    expect(ss.shown('a', 0)).toBe(false)
    expect(ss.peerHas('a', 1).size).toBe(0)
  })

  it('sends every piece once before any piece twice when peers pass pieces on', () => {
    // 4 leechers; whenever a peer holds a piece, the next peer (round robin) copies it.
    const n = 64
    const ss = new SuperSeeder<number>({ pieceCount: n, piecesPerPeer: 2 })
    const queue: [number, number][] = []
    const show = (m: Map<number, number[]>) => {
      for (const [p, pieces] of m) for (const i of pieces) queue.push([p, i])
    }
    const have = Array.from({ length: 4 }, () => new Set<number>())
    for (let p = 0; p < 4; p++) show(ss.addPeer(p, 'none'))
    const fromSeed: number[] = []
    const gossip: [number, number][] = []
    const got = (p: number, i: number) => {
      if (have[p]!.has(i)) return
      have[p]!.add(i)
      show(ss.peerHas(p, i))
      for (let q = 0; q < 4; q++) if (q !== p && !have[q]!.has(i)) gossip.push([q, i])
    }
    for (let steps = 0; steps < 10_000 && (queue.length || gossip.length); steps++) {
      const g = gossip.shift()
      if (g) got(g[0], g[1])
      const s = queue.shift()
      if (s && !have[s[0]]!.has(s[1])) {
        fromSeed.push(s[1])
        got(s[0], s[1])
      }
    }
    for (const h of have) expect(h.size).toBe(n)
    expect(new Set(fromSeed.slice(0, n)).size).toBe(n)
  })

  it('rejects bad options', () => {
    expect(() => new SuperSeeder({ pieceCount: -1 })).toThrow()
    expect(() => new SuperSeeder({ pieceCount: 4, piecesPerPeer: 0 })).toThrow()
  })
})
