import type { RunResult } from './swarm-types.js'

/** Median and extremes of one measure over a scenario's repeated runs (missing values count in `missing`). */
export interface Spread {
  median: number
  min: number
  max: number
  /** Runs that gave a value. */
  n: number
  /** Runs without a value (e.g. a swarm that did not complete). */
  missing: number
}

/** A quality bar on a measure: at most `max`, at least `min`, or both. */
export interface Bar {
  max?: number
  min?: number
}

/** PASS: every run within the bar; MISS: every run outside it; INCONCLUSIVE: the spread straddles it. */
export type Verdict = 'PASS' | 'MISS' | 'INCONCLUSIVE'

/** Median of numbers (NaN for none). */
export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Median, min and max of the values that exist (undefined or NaN counts as missing). */
export function spread(values: (number | undefined)[]): Spread {
  const xs = values.filter((x): x is number => x !== undefined && !Number.isNaN(x))
  return {
    median: median(xs),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
    n: xs.length,
    missing: values.length - xs.length,
  }
}

/** Whether one value lies within the bar (a missing value never does). */
export function within(x: number | undefined, bar: Bar): boolean {
  if (x === undefined || Number.isNaN(x)) return false
  return (bar.max === undefined || x <= bar.max) && (bar.min === undefined || x >= bar.min)
}

/**
 * The verdict over every run's value: PASS only when the whole spread is within the bar, MISS only
 * when all of it is outside, else INCONCLUSIVE. A missing value (a run that did not finish) is outside.
 */
export function verdict(values: (number | undefined)[], bar: Bar): Verdict {
  if (values.length === 0) return 'INCONCLUSIVE'
  const inside = values.filter((x) => within(x, bar)).length
  if (inside === values.length) return 'PASS'
  return inside === 0 ? 'MISS' : 'INCONCLUSIVE'
}

/**
 * The verdict on a check that each run passes or fails (every staying leecher finished, the bad peer
 * was banned...): PASS when every run passed, MISS when none did, else INCONCLUSIVE.
 */
export function checkVerdict(passed: boolean[]): Verdict {
  return verdict(
    passed.map((ok) => (ok ? 1 : 0)),
    { min: 1 },
  )
}

/** `k/R runs` (`1/1 run` or `0/1 run` for a single one): how many of the runs passed a check. */
export function formatCount(passed: boolean[]): string {
  return `${passed.filter(Boolean).length}/${passed.length} run${passed.length === 1 ? '' : 's'}`
}

/**
 * `median (min–max)` with `format` applied to each number; just the median for one run, '-' for
 * none, and `, k failed` when some runs gave no value.
 */
export function formatSpread(s: Spread, format: (x: number) => string = (x) => x.toFixed(2)): string {
  if (s.n === 0) return s.missing ? `- (${s.missing} failed)` : '-'
  const failed = s.missing ? `, ${s.missing} failed` : ''
  if (s.n === 1 && !s.missing) return format(s.median)
  return `${format(s.median)} (${format(s.min)}–${format(s.max)}${failed})`
}

/** `<= 1.30`, `>= 0.5` or `0.5..1.3`: how a bar reads in a result line. */
export function formatBar(bar: Bar): string {
  if (bar.max !== undefined && bar.min !== undefined) return `${bar.min}..${bar.max}`
  return bar.max !== undefined ? `<= ${bar.max.toFixed(2)}` : `>= ${(bar.min ?? Number.NaN).toFixed(2)}`
}

/**
 * A quality-bar result line: `<label> = median (min–max) over R runs (bar <= x) VERDICT`; the verdict
 * comes from {@link verdict}, so PASS or MISS is only said when the whole spread agrees.
 */
export function barLine(label: string, values: (number | undefined)[], bar: Bar): string {
  const runs = values.length === 1 ? '1 run' : `${values.length} runs`
  return `${label} = ${formatSpread(spread(values))} over ${runs} (bar ${formatBar(bar)}) ${verdict(values, bar)}`
}

/** Repeated runs of one swarm spec and what they add up to. */
export interface Repeated {
  /** Every run, in order (run names end in ` #k` when there are several). */
  runs: RunResult[]
  /** Swarm completion time (ms) over the runs; a run that did not complete is missing. */
  completion: Spread
  /** The run whose completion is the median (an incomplete run counts as slowest): charts show it. */
  medianRun: RunResult
}

/** Sums up repeated runs (at least one): completion spread and the median run. */
export function summarizeRuns(runs: RunResult[]): Repeated {
  const key = (r: RunResult) => r.completion ?? Number.POSITIVE_INFINITY
  const sorted = [...runs].sort((a, b) => key(a) - key(b))
  return {
    runs,
    completion: spread(runs.map((r) => r.completion)),
    medianRun: sorted[(sorted.length - 1) >> 1]!,
  }
}

/** Name of repeat `k` (1-based) of `run` among `repeats`: unchanged for a single run, else `run #k`. */
export function repeatName(run: string, k: number, repeats: number): string {
  return repeats > 1 ? `${run} #${k}` : run
}
