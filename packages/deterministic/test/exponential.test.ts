import { exponential, mulberry32 } from '@p2p/deterministic'
import { describe, expect, it } from 'vitest'

describe('exponential', () => {
  it('maps a uniform sample u to -ln(1 - u) * mean', () => {
    expect(exponential(() => 0, 5)).toBeCloseTo(0, 12)
    expect(exponential(() => 1 - Math.exp(-1), 2)).toBeCloseTo(2, 12)
  })

  it('has the requested mean over many samples of a seeded generator', () => {
    const random = mulberry32(11)
    let sum = 0
    const n = 200_000
    for (let i = 0; i < n; i++) sum += exponential(random, 3)
    expect(sum / n).toBeGreaterThan(2.97)
    expect(sum / n).toBeLessThan(3.03)
  })
})
