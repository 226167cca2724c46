import { mulberry32, Prng } from '@p2p/deterministic'
import { describe, expect, it } from 'vitest'

// The values are those the generators gave before they moved here (dht's mulberry32, utp's
// seededRandom and sim's Prng): every seed-based test and simulation keeps its sequences.
describe('mulberry32', () => {
  it('gives the same sequence for a seed as before the move', () => {
    const random = mulberry32(42)
    expect([random(), random(), random()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ])
  })

  it('stays in [0, 1) and differs between seeds', () => {
    const a = mulberry32(1)
    const b = mulberry32(2)
    let same = 0
    for (let i = 0; i < 1000; i++) {
      const x = a()
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
      if (x === b()) same++
    }
    expect(same).toBe(0)
  })
})

describe('Prng', () => {
  it('gives the same sequence for a seed as before the move', () => {
    const p = new Prng(42)
    expect([p.u32(), p.u32(), p.int(1, 6)]).toEqual([1028872839, 2516511472, 1])
    expect([...p.bytes(7)]).toEqual([0x32, 0xdc, 0x03, 0x2a, 0x78, 0x40, 0x75])
  })

  it('draws integers in range, picks members and replays from its seed', () => {
    const a = new Prng(9)
    const b = new Prng(9)
    for (let i = 0; i < 200; i++) {
      const n = a.int(3, 5)
      expect(n).toBe(b.int(3, 5))
      expect(n === 3 || n === 4 || n === 5).toBe(true)
      expect(['x', 'y']).toContain(a.pick(['x', 'y']))
      b.pick(['x', 'y'])
    }
    expect(a.chance(0)).toBe(false)
    expect(a.chance(1)).toBe(true)
  })
})
