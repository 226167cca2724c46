import { describe, expect, it } from 'vitest'
import { formatShare, gapClosed, MAX_SHARE_RANGE, tradingRecovered } from '../src/nat-recovery.js'

const MIB = 2 ** 20

describe('capacity recovered from NAT-to-NAT trading', () => {
  it('is the share of the all-public trading, median and range over the runs', () => {
    const s = tradingRecovered([1 * MIB, 1.5 * MIB, 0.5 * MIB], [2 * MIB, 1.8 * MIB, 2.2 * MIB])
    expect(s).toEqual({ spread: { median: 0.5, min: 0.25, max: 0.75, n: 3, missing: 0 } })
    expect(formatShare(s)).toBe('50% (25%–75%)')
  })

  it('is 0 without traversal (NATed leechers never meet)', () => {
    expect(formatShare(tradingRecovered([0, 0, 0], [MIB, MIB, MIB]))).toBe('0%')
  })

  it('stays within 0..100 % when a run trades more than the public median', () => {
    const s = tradingRecovered([3 * MIB, MIB], [MIB, 2 * MIB, 2 * MIB])
    expect(formatShare(s)).toBe('75% (50%–100%)')
  })

  it('is INCONCLUSIVE when the public runs traded nothing to compare with', () => {
    expect(formatShare(tradingRecovered([MIB], [0, 0]))).toMatch(/^INCONCLUSIVE/)
    expect(formatShare(tradingRecovered([MIB], []))).toMatch(/^INCONCLUSIVE/)
  })

  it('gives one number for one run', () => {
    expect(formatShare(tradingRecovered([MIB], [4 * MIB]))).toBe('25%')
  })
})

describe('share of the nat–public download-time gap closed', () => {
  const nat = [20_000, 21_000, 22_000]
  const pub = [10_000, 10_500, 11_000]

  it('is the medians’ share, bounded by the runs’ ranges', () => {
    const s = gapClosed(nat, [15_000, 15_500, 16_000], pub)
    if (!('spread' in s)) throw new Error(s.inconclusive)
    expect(s.spread.median).toBeCloseTo(5500 / 10_500)
    // least: nat's fastest against the variant's slowest over the widest gap; most: the reverse
    expect(s.spread.min).toBeCloseTo(4000 / 12_000)
    expect(s.spread.max).toBeCloseTo(7000 / 9000)
    expect(formatShare(s)).toBe('52% (33%–78%)')
  })

  it('is clamped to 0..100 %: a variant slower than nat closes nothing, faster than public all', () => {
    expect(formatShare(gapClosed(nat, [23_000, 24_000], pub))).toBe('0%')
    expect(formatShare(gapClosed(nat, [8000, 9000], pub))).toBe('100% (92%–100%)')
  })

  it('is INCONCLUSIVE when nat and public overlap (the small-file case: the gap is noise)', () => {
    const s = gapClosed([5000, 6500, 5200], [5100, 7000], [4800, 5600, 5300])
    expect(formatShare(s)).toBe('INCONCLUSIVE (nat and public download times overlap)')
  })

  it('is INCONCLUSIVE when the spread covers more than the allowed range', () => {
    const s = gapClosed(nat, [12_000, 20_000], pub)
    expect('inconclusive' in s).toBe(true)
    expect(formatShare(s)).toMatch(/^INCONCLUSIVE \(spread \d+–\d+% too wide\)$/)
    expect(MAX_SHARE_RANGE).toBeLessThan(1)
  })

  it('is INCONCLUSIVE with a single run: no spread is known', () => {
    expect(formatShare(gapClosed([20_000], [15_000], [10_000]))).toMatch(/^INCONCLUSIVE \(needs at least 2/)
  })

  it('never gives the nonsense of the old formula (599 %, −144 %) at small sizes', () => {
    // Old: (T_nat − T) / (T_nat − T_public) on single medians 5.0 / 4.9 / 4.4 s gave −23 % and 599 %.
    for (const variant of [
      [4400, 4450],
      [5500, 5600],
      [3000, 3100],
    ]) {
      const s = gapClosed([5000, 5100], variant, [4900, 4950])
      if ('spread' in s) {
        expect(s.spread.min).toBeGreaterThanOrEqual(0)
        expect(s.spread.max).toBeLessThanOrEqual(1)
      }
    }
  })
})
