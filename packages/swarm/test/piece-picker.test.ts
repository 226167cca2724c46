import { Bitfield, PiecePicker, pipelineDepth } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'

const bits = (n: number, ones: number[]) => {
  const b = new Bitfield(n)
  for (const i of ones) b.set(i)
  return b
}

describe('PiecePicker', () => {
  it('picks the rarest piece after the random first pieces', () => {
    const p = new PiecePicker({ pieceCount: 4, pieceLength: () => 16384, randomFirst: 0 })
    p.addAvailability(bits(4, [0, 1, 2, 3]))
    p.addAvailability(bits(4, [0, 1, 3]))
    p.addAvailability(bits(4, [0, 3]))
    const r = p.pick('a', 'all', 1)
    expect(r).toEqual([{ index: 2, begin: 0, length: 16384 }])
    expect(p.pick('a', 'all', 1)[0]!.index).toBe(1)
  })

  it('chooses among equally rare pieces at random', () => {
    const seen = new Set<number>()
    for (let k = 0; k < 40; k++) {
      const p = new PiecePicker({ pieceCount: 8, pieceLength: () => 100, randomFirst: 0 })
      seen.add(p.pick('a', 'all', 1)[0]!.index)
    }
    expect(seen.size).toBeGreaterThan(2)
  })

  it('draws random numbers once per piece, not per candidate, and still spreads ties', () => {
    let calls = 0
    const p = new PiecePicker({
      pieceCount: 64,
      pieceLength: () => 100,
      randomFirst: 0,
      random: () => {
        calls++
        return Math.random()
      },
    })
    p.addAvailability('all')
    const got: number[] = []
    for (let k = 0; k < 64; k++) {
      const i = p.pick('a', 'all', 1)[0]!.index
      got.push(i)
      p.received('a', i, 0, 100)
      p.verified(i)
    }
    expect(new Set(got).size).toBe(64)
    expect(got).not.toEqual([...got].sort((a, b) => a - b))
    expect(calls).toBeLessThanOrEqual(64)
    expect(p.complete()).toBe(true)
  })

  it('is random for the first pieces, then rarest', () => {
    let r = 0
    const seq = [0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99]
    const p = new PiecePicker({
      pieceCount: 8,
      pieceLength: () => 100,
      randomFirst: 1,
      random: () => seq[r++ % seq.length]!,
    })
    p.addAvailability(bits(8, [1, 2, 3, 4, 5, 6, 7]))
    // random: piece 0 (rarest) is not specially favoured.
    const first = p.pick('a', 'all', 1)[0]!.index
    p.received('a', first, 0, 100)
    p.verified(first)
    if (first !== 0) expect(p.pick('a', 'all', 1)[0]!.index).toBe(0)
  })

  it('sequential strategy goes in order', () => {
    const p = new PiecePicker({ pieceCount: 5, pieceLength: () => 100, strategy: 'sequential' })
    expect(p.pick('a', 'all', 3).map((b) => b.index)).toEqual([0, 1, 2])
  })

  it('finishes partial pieces first and splits pieces into blocks', () => {
    const p = new PiecePicker({
      pieceCount: 3,
      pieceLength: (i) => (i === 2 ? 20000 : 40000),
      strategy: 'sequential',
    })
    expect(p.blocksIn(0)).toBe(3)
    expect(p.pick('a', 'all', 2)).toEqual([
      { index: 0, begin: 0, length: 16384 },
      { index: 0, begin: 16384, length: 16384 },
    ])
    expect(p.pick('b', 'all', 2)).toEqual([
      { index: 0, begin: 32768, length: 40000 - 32768 },
      { index: 1, begin: 0, length: 16384 },
    ])
  })

  it('respects what the peer has, wanted pieces and the allowed-fast set', () => {
    const p = new PiecePicker({ pieceCount: 4, pieceLength: () => 10 })
    p.setPriority(0, 0)
    expect(p.pick('a', bits(4, [0, 2]), 5).map((b) => b.index)).toEqual([2])
    expect(p.pick('b', 'all', 5, { only: new Set([3]) }).map((b) => b.index)).toEqual([3])
    expect(p.interesting(bits(4, [0]))).toBe(false)
    expect(p.interesting(bits(4, [1]))).toBe(true)
  })

  it('completes a piece and cancels duplicates in endgame', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 32768 })
    const a = p.pick('a', 'all', 10)
    expect(a.length).toBe(2)
    expect(p.endgame).toBe(true)
    const b = p.pick('b', 'all', 10)
    expect(b.length).toBe(2)
    expect(p.pick('b', 'all', 10)).toEqual([])
    const r1 = p.received('b', 0, 0, 16384)
    expect(r1).toEqual({ accepted: true, cancel: ['a'], pieceComplete: false, first: true })
    expect(p.received('a', 0, 0, 16384).accepted).toBe(false)
    const r2 = p.received('a', 0, 16384, 16384)
    expect(r2.pieceComplete).toBe(true)
    expect(r2.cancel).toEqual(['b'])
    expect(p.outstanding('a')).toBe(0)
    expect(p.outstanding('b')).toBe(0)
    p.verified(0)
    expect(p.complete()).toBe(true)
  })

  it('returns blocks to the pool on choke and reject', () => {
    const p = new PiecePicker({ pieceCount: 2, pieceLength: () => 32768, strategy: 'sequential' })
    const a = p.pick('a', 'all', 3)
    expect(a.length).toBe(3)
    p.release('a', 0, 16384)
    expect(p.pick('b', 'all', 1)).toEqual([{ index: 0, begin: 16384, length: 16384 }])
    expect(p.releaseAll('a').length).toBe(2)
    expect(p.outstanding('a')).toBe(0)
    // The fourth block is an endgame duplicate of the one 'b' still owes.
    expect(p.pick('c', 'all', 4).map((b) => `${b.index}:${b.begin}`)).toEqual([
      '0:0',
      '1:0',
      '1:16384',
      '0:16384',
    ])
  })

  it('re-requests every block of a piece that failed verification', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 16384 })
    p.pick('a', 'all', 1)
    expect(p.received('a', 0, 0, 16384).pieceComplete).toBe(true)
    p.failed(0)
    expect(p.pick('b', 'all', 1)).toEqual([{ index: 0, begin: 0, length: 16384 }])
    expect(p.have.get(0)).toBe(false)
  })

  it('rejects blocks of the wrong length or never requested', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 16384 })
    expect(p.received('a', 0, 0, 16384).accepted).toBe(false)
    p.pick('a', 'all', 1)
    expect(p.received('a', 0, 0, 100).accepted).toBe(false)
    expect(p.received('a', 0, 3, 100).accepted).toBe(false)
  })

  it('tracks availability', () => {
    const p = new PiecePicker({ pieceCount: 3, pieceLength: () => 1 })
    p.addAvailability('all')
    p.addHave(1)
    expect([0, 1, 2].map((i) => p.availability(i))).toEqual([1, 2, 1])
    p.removeAvailability(bits(3, [1]))
    p.removeHave(0)
    expect([0, 1, 2].map((i) => p.availability(i))).toEqual([0, 1, 1])
  })
})

describe('pipelineDepth', () => {
  it('covers a few seconds of the measured rate within bounds', () => {
    expect(pipelineDepth(0)).toBe(16)
    expect(pipelineDepth(16384 * 10)).toBe(30)
    expect(pipelineDepth(1e12)).toBe(500)
  })
})

describe('PiecePicker parole (exclusive pieces)', () => {
  const make = () => new PiecePicker({ pieceCount: 4, pieceLength: () => 4 * 16384, strategy: 'sequential' })

  it('gives a peer on parole a whole piece of its own, never blocks of a shared one', () => {
    const p = make()
    // 'a' starts piece 0 (2 of 4 blocks requested).
    expect(p.pick('a', 'all', 2).map((b) => b.index)).toEqual([0, 0])
    // 'x' on parole does not join piece 0 but starts piece 1 alone.
    const x = p.pick('x', 'all', 8, { exclusive: true })
    expect(new Set(x.map((b) => b.index))).toEqual(new Set([1, 2]))
    expect(x.filter((b) => b.index === 1)).toHaveLength(4)
    // Others continue piece 0 and start piece 3 but never touch x's pieces, even in endgame.
    const b = p.pick('b', 'all', 16)
    expect(b.some((r) => r.index === 1 || r.index === 2)).toBe(false)
    // (then endgame: duplicates of a's blocks of piece 0, never of x's pieces)
    expect(b.map((r) => r.index)).toEqual([0, 0, 3, 3, 3, 3, 0, 0])
    expect(p.pick('c', 'all', 16).some((r) => r.index === 1 || r.index === 2)).toBe(false)
  })

  it('a peer on parole takes no part in endgame', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 2 * 16384 })
    expect(p.pick('a', 'all', 2)).toHaveLength(2)
    expect(p.endgame).toBe(true)
    expect(p.pick('x', 'all', 2, { exclusive: true })).toEqual([])
    expect(p.pick('b', 'all', 2)).toHaveLength(2)
  })

  it('a piece its parole peer abandons starts over for the others', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 4 * 16384 })
    const x = p.pick('x', 'all', 4, { exclusive: true })
    expect(x).toHaveLength(4)
    expect(p.received('x', 0, 0, 16384).accepted).toBe(true)
    expect(p.pick('a', 'all', 4)).toEqual([])
    // x chokes us: its piece is no longer exclusive and every block is requested again.
    p.releaseAll('x')
    const a = p.pick('a', 'all', 8)
    expect(a.map((r) => r.begin)).toEqual([0, 16384, 32768, 49152])
    for (const r of a) p.received('a', r.index, r.begin, r.length)
    expect(p.received('a', 0, 49152, 16384).accepted).toBe(false)
  })

  it('a peer on parole restarts a partial piece nobody else works on', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 2 * 16384 })
    expect(p.pick('a', 'all', 1)).toHaveLength(1)
    expect(p.received('a', 0, 0, 16384).first).toBe(true)
    p.releaseAll('a') // 'a' left with half the piece received
    const x = p.pick('x', 'all', 4, { exclusive: true })
    expect(x.map((r) => r.begin)).toEqual([0, 16384])
    expect(p.received('x', 0, 0, 16384).first).toBe(true)
    expect(p.received('x', 0, 16384, 16384).pieceComplete).toBe(true)
  })

  it('a complete piece being verified is not restarted for a peer on parole (it would count twice)', () => {
    const p = new PiecePicker({ pieceCount: 2, pieceLength: () => 2 * 16384, strategy: 'sequential' })
    for (const r of p.pick('a', 'all', 2)) p.received('a', r.index, r.begin, r.length)
    // Piece 0 is complete and being hashed: a peer on parole must not download it again.
    expect(p.pick('x', 'all', 4, { exclusive: true }).map((r) => r.index)).toEqual([1, 1])
    // Nor another peer once its parole peer left a piece nobody works on.
    expect(p.pick('b', 'all', 4)).toEqual([])
    p.verified(0)
    expect(p.have.count()).toBe(1)
  })

  it('a failed exclusive piece is requested again from scratch', () => {
    const p = new PiecePicker({ pieceCount: 1, pieceLength: () => 16384 })
    const [r] = p.pick('x', 'all', 1, { exclusive: true })
    expect(p.received('x', r!.index, r!.begin, r!.length).pieceComplete).toBe(true)
    p.failed(0)
    expect(p.pick('a', 'all', 1)).toEqual([{ index: 0, begin: 0, length: 16384 }])
  })
})
