import { describe, expect, it } from 'vitest'
import {
  barLine,
  checkVerdict,
  formatCount,
  formatSpread,
  repeatName,
  spread,
  summarizeRuns,
  verdict,
  within,
} from '../src/repeats.js'
import type { RunResult } from '../src/swarm-types.js'

describe('verdict over repeated runs', () => {
  const cases: [string, (number | undefined)[], { max?: number; min?: number }, string][] = [
    ['every run within an upper bar', [1.1, 1.2, 1.25], { max: 1.3 }, 'PASS'],
    ['a run exactly on the bar counts as within', [1.3, 1.0], { max: 1.3 }, 'PASS'],
    ['every run above the bar', [1.4, 2.0, 1.31], { max: 1.3 }, 'MISS'],
    ['the spread straddles the bar', [1.2, 1.4, 1.25], { max: 1.3 }, 'INCONCLUSIVE'],
    ['a run that did not finish is outside', [1.1, undefined, 1.2], { max: 1.3 }, 'INCONCLUSIVE'],
    ['no run finished', [undefined, Number.NaN], { max: 1.3 }, 'MISS'],
    ['a lower bar', [0.6, 0.7], { min: 0.5 }, 'PASS'],
    ['below a lower bar', [0.4, 0.3], { min: 0.5 }, 'MISS'],
    ['a two-sided bar', [0.9, 1.6], { min: 0.8, max: 1.5 }, 'INCONCLUSIVE'],
    ['one run decides alone', [1.2], { max: 1.3 }, 'PASS'],
    ['no runs at all', [], { max: 1.3 }, 'INCONCLUSIVE'],
  ]
  for (const [name, values, bar, expected] of cases) {
    it(name, () => expect(verdict(values, bar)).toBe(expected))
  }

  it('within() treats missing values as outside', () => {
    expect(within(undefined, { max: 1 })).toBe(false)
    expect(within(Number.NaN, { min: 0 })).toBe(false)
    expect(within(0.5, {})).toBe(true)
  })
})

describe('spread', () => {
  const cases: [
    (number | undefined)[],
    { median: number; min: number; max: number; n: number; missing: number },
  ][] = [
    [[3, 1, 2], { median: 2, min: 1, max: 3, n: 3, missing: 0 }],
    [[4, 1, 2, 3], { median: 2.5, min: 1, max: 4, n: 4, missing: 0 }],
    [[5, undefined, 7], { median: 6, min: 5, max: 7, n: 2, missing: 1 }],
  ]
  for (const [values, expected] of cases) {
    it(`of ${JSON.stringify(values)}`, () => expect(spread(values)).toEqual(expected))
  }
  it('of nothing is NaN', () => {
    const s = spread([undefined])
    expect(Number.isNaN(s.median) && Number.isNaN(s.min) && Number.isNaN(s.max)).toBe(true)
    expect(s.missing).toBe(1)
  })
})

describe('formatting', () => {
  it('shows median (min–max), a lone value, failures and nothing', () => {
    expect(formatSpread(spread([12_300, 11_900, 13_000]), (x) => (x / 1000).toFixed(1))).toBe(
      '12.3 (11.9–13.0)',
    )
    expect(formatSpread(spread([1.234]))).toBe('1.23')
    expect(formatSpread(spread([1, undefined, 2]))).toBe('1.50 (1.00–2.00, 1 failed)')
    expect(formatSpread(spread([undefined]))).toBe('- (1 failed)')
    expect(formatSpread(spread([]))).toBe('-')
  })

  it('writes a bar line with spread, run count and verdict', () => {
    expect(barLine('scaling ours: N=10 completion/T_min', [1.21, 1.15, 1.4], { max: 1.3 })).toBe(
      'scaling ours: N=10 completion/T_min = 1.21 (1.15–1.40) over 3 runs (bar <= 1.30) INCONCLUSIVE',
    )
    expect(barLine('x', [0.9], { max: 2 })).toBe('x = 0.90 over 1 run (bar <= 2.00) PASS')
    expect(barLine('y', [3, 4], { min: 1, max: 2 })).toBe('y = 3.50 (3.00–4.00) over 2 runs (bar 1..2) MISS')
  })

  it('names repeats only when there are several', () => {
    expect(repeatName('scaling/ours/N=2', 1, 1)).toBe('scaling/ours/N=2')
    expect(repeatName('scaling/ours/N=2', 2, 3)).toBe('scaling/ours/N=2 #2')
  })
})

describe('summarizeRuns', () => {
  const run = (repeat: number, completion?: number) =>
    ({ run: `r #${repeat}`, repeat, completion }) as RunResult
  it('picks the median run by completion, an incomplete run counting as slowest', () => {
    const runs = [run(1, 9000), run(2, 7000), run(3, 8000)]
    const r = summarizeRuns(runs)
    expect(r.medianRun.repeat).toBe(3)
    expect(r.completion).toEqual({ median: 8000, min: 7000, max: 9000, n: 3, missing: 0 })
    expect(summarizeRuns([run(1), run(2, 5000), run(3, 6000)]).medianRun.repeat).toBe(3)
    expect(summarizeRuns([run(1, 5000), run(2)]).medianRun.repeat).toBe(1)
  })
})

describe('a pass/fail check over repeated runs', () => {
  it('is PASS when every run passed, MISS when none did, else INCONCLUSIVE', () => {
    expect(checkVerdict([true, true, true])).toBe('PASS')
    expect(checkVerdict([false, false])).toBe('MISS')
    expect(checkVerdict([true, false, true])).toBe('INCONCLUSIVE')
    expect(checkVerdict([])).toBe('INCONCLUSIVE')
  })

  it('counts the runs that passed', () => {
    expect(formatCount([true, false, true])).toBe('2/3 runs')
    expect(formatCount([true])).toBe('1/1 run')
    expect(formatCount([false])).toBe('0/1 run')
  })
})
