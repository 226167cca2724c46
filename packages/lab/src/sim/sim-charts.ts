import { fluidBound } from '../fluid-bound.js'
import { type ChartSpec, type ScenarioResult, secs, type TableSpec } from '../scenario.js'
import { MEASURED_CAPACITIES } from './capacities.js'
import type { SimSwarmResult } from './sim-swarm-types.js'

/** Points a CDF or time series keeps (a 10,000-peer run would draw 10,000 SVG points). */
const MAX_POINTS = 200

/** Leechers' download times (ms from arrival to done), sorted, of those that finished. */
export function downloadTimes(r: SimSwarmResult): number[] {
  const out: number[] = []
  for (let i = 0; i < r.doneAt.length; i++) {
    const d = r.doneAt[i]!
    if (!Number.isNaN(d)) out.push(d - r.arriveAt[i]!)
  }
  return out.sort((a, b) => a - b)
}

/** The `q` quantile (0..1) of sorted `xs`. */
function quantile(xs: number[], q: number): number {
  return xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : Number.NaN
}

/** Fluid-model bound (ms) of a run's flash crowd with its drawn capacities. */
export function simBound(r: SimSwarmResult, size: number): number {
  return (
    fluidBound({
      size,
      seederUp: new Array(r.spec.seeders).fill(r.seederUp),
      leecherDown: [...r.down],
      leecherUp: [...r.up],
    }) * 1000
  )
}

/** Share of all uploaded bytes the seeders sent. */
function seederShare(r: SimSwarmResult): number {
  const leechers = r.uploaded.reduce((a, b) => a + b, 0)
  return r.seederUploaded / (r.seederUploaded + leechers)
}

/** Evenly spaced elements of `xs`, at most {@link MAX_POINTS}, the last one kept. */
function thin<T>(xs: T[]): T[] {
  if (xs.length <= MAX_POINTS) return xs
  const step = xs.length / MAX_POINTS
  const out: T[] = []
  for (let k = 0; k < MAX_POINTS; k++) out.push(xs[Math.floor(k * step)]!)
  out.push(xs[xs.length - 1]!)
  return out
}

/** Runs of one flash crowd: `runs` (with `size`) and which of them had `s` seeders at `n` leechers. */
class FlashCrowds {
  readonly #runs: SimSwarmResult[]
  readonly #size: number

  constructor(runs: SimSwarmResult[], size: number) {
    this.#runs = runs
    this.#size = size
  }

  /** The flash crowd with `s` seeders at `n` leechers, if it ran. */
  of(n: number, s: number): SimSwarmResult | undefined {
    return this.#runs.find(
      (r) => r.spec.arrivals === 'flash' && r.spec.leechers === n && r.spec.seeders === s,
    )
  }

  /** Mean download speed of a run's finished leechers, bytes/s (0 for none or no run). */
  meanSpeed(r: SimSwarmResult | undefined): number {
    const times = r ? downloadTimes(r) : []
    return times.length ? times.reduce((a, t) => a + this.#size / (t / 1000), 0) / times.length : 0
  }
}

/**
 * The simulation's section of the report: a row per run (completion against the fluid bound, the
 * seeder's upload share, events, memory), the completion-time CDF of every run, completion time
 * against N, download speed against the number of seeders, and piece availability over time.
 */
export function simulationResult(
  runs: SimSwarmResult[],
  size: number,
  seederCounts: number[],
): ScenarioResult {
  const single = runs.filter((r) => r.spec.seeders === 1)
  const flash = single.filter((r) => r.spec.arrivals === 'flash')
  const crowds = new FlashCrowds(runs, size)
  const sizes = [...new Set(flash.map((r) => r.spec.leechers))]
  const lines = [...runs.map((r) => runLine(r, size)), ...speedLines(crowds, sizes, seederCounts)]
  const models = [...new Set(runs.map((r) => r.model))].join(' and ')
  return {
    name: 'simulation',
    question: 'How does distribution scale to internet-size swarms (100 to 10,000 peers)?',
    summary: `the real @p2p/swarm clients on @p2p/sim (${models} model${runs.some((r) => r.model !== runs[0]?.model) ? 's' : ''}): flash crowds and Poisson arrivals with churn, and 1, 2, 4, 8 seeders, for each N`,
    runs: [],
    tables: [runsTable(runs, size), capacityTable()],
    charts: [
      completionChart(flash, size),
      cdfChart(single),
      speedChart(crowds, sizes, seederCounts, size),
      shareChart(single),
      ...availabilityCharts(flash),
    ],
    lines,
  }
}

/** The table's row of one run. */
function runRow(r: SimSwarmResult, size: number): (string | number)[] {
  const times = downloadTimes(r)
  const bound = simBound(r, size)
  const flash = r.spec.arrivals === 'flash'
  return [
    r.run,
    r.model,
    r.spec.leechers,
    r.spec.seeders,
    r.spec.arrivals + (r.spec.churn ? ' + churn' : ''),
    `${times.length}/${r.spec.leechers}`,
    secs(r.completion),
    flash ? secs(bound) : '-',
    flash && r.completion !== undefined ? (r.completion / bound).toFixed(2) : '-',
    secs(quantile(times, 0.5)),
    secs(quantile(times, 0.9)),
    (r.seederUploaded / size).toFixed(2),
    `${(seederShare(r) * 100).toFixed(1)} %`,
    r.events,
    Math.round(r.events / (r.wallMs / 1000)),
    (r.wallMs / 1000).toFixed(1),
    Math.round(r.peakHeapMB),
    Math.round(r.peakRssMB),
  ]
}

/** The result line of one run. */
function runLine(r: SimSwarmResult, size: number): string {
  const times = downloadTimes(r)
  const bound = simBound(r, size)
  const flash = r.spec.arrivals === 'flash'
  const ratio = r.completion !== undefined ? (r.completion / bound).toFixed(2) : 'not done'
  return `${r.run} (${r.model} model): ${times.length}/${r.spec.leechers} finished, ${flash ? `completion/T_min = ${ratio}, ` : ''}median download ${secs(quantile(times, 0.5))} s, seeder upload share ${(seederShare(r) * 100).toFixed(1)} %; ${r.events} events in ${(r.wallMs / 1000).toFixed(1)} s (${Math.round(r.events / (r.wallMs / 1000))}/s), peak heap ${Math.round(r.peakHeapMB)} MB, RSS ${Math.round(r.peakRssMB)} MB${r.stopped ? ` (${r.stopped})` : ''}`
}

/** For each N with flash crowds of several seeder counts: their mean speed against one seeder's. */
function speedLines(crowds: FlashCrowds, sizes: number[], seederCounts: number[]): string[] {
  const lines: string[] = []
  for (const n of sizes) {
    const one = crowds.meanSpeed(crowds.of(n, 1))
    const more = seederCounts.filter((s) => s > 1 && crowds.of(n, s))
    if (one > 0 && more.length)
      lines.push(
        `speed against seeders, N = ${n}: ${more.map((s) => `${s} seeders ${(crowds.meanSpeed(crowds.of(n, s)) / one).toFixed(2)}x`).join(', ')} the mean download speed with 1 seeder`,
      )
  }
  return lines
}

/** Completion-time CDF of each single-seeder run (Poisson runs dashed). */
function cdfChart(single: SimSwarmResult[]): ChartSpec {
  return {
    id: 'sim-cdf',
    title: 'Completion-time CDF (download time from arrival)',
    kind: 'line',
    xName: 'time (virtual s)',
    yName: 'leechers done (fraction)',
    series: single.map((r) => {
      const times = downloadTimes(r)
      return {
        name: r.run,
        points: thin(
          times.map((t, i): [number, number] => [round(t / 1000), round((i + 1) / r.spec.leechers, 3)]),
        ),
        dashed: r.spec.arrivals !== 'flash',
      }
    }),
  }
}

/** The flash crowds' completion time (last and median leecher) against N, with the fluid bound. */
function completionChart(flash: SimSwarmResult[], size: number): ChartSpec {
  return {
    id: 'sim-completion',
    title: 'Flash crowd: completion time vs N, against the fluid bound',
    kind: 'line',
    xName: 'leechers N',
    yName: 'time (virtual s)',
    series: [
      {
        name: 'last leecher done',
        points: flash
          .filter((r) => r.completion !== undefined)
          .map((r) => [r.spec.leechers, round(r.completion! / 1000)]),
      },
      {
        name: 'median leecher',
        points: flash.map((r) => [r.spec.leechers, round(quantile(downloadTimes(r), 0.5) / 1000)]),
      },
      {
        name: 'fluid bound T_min',
        points: flash.map((r) => [r.spec.leechers, round(simBound(r, size) / 1000)]),
        dashed: true,
      },
    ],
  }
}

/** Mean download speed against the number of seeders for each N, with the fluid model's F/T_min. */
function speedChart(crowds: FlashCrowds, sizes: number[], seederCounts: number[], size: number): ChartSpec {
  return {
    id: 'sim-seeders-speed',
    title: 'Mean download speed vs number of seeders, for each N',
    kind: 'bar',
    xName: 'seeders',
    yName: 'MB/s',
    categories: seederCounts.map(String),
    series: sizes.flatMap((n) => [
      {
        name: `N = ${n}: simulated mean speed`,
        points: seederCounts.map((s): [string, number] => [
          String(s),
          round(crowds.meanSpeed(crowds.of(n, s)) / 1e6, 3),
        ]),
      },
      {
        name: `N = ${n}: fluid-model speed F/T_min`,
        points: seederCounts.map((s): [string, number] => {
          const r = crowds.of(n, s)
          return [String(s), r ? round(size / simBound(r, size) / 1000 / 1e3, 3) : 0]
        }),
      },
    ]),
  }
}

/** The seeder's share of all uploaded bytes in each single-seeder run. */
function shareChart(single: SimSwarmResult[]): ChartSpec {
  return {
    id: 'sim-upload-share',
    title: 'Seeder’s share of all uploaded bytes',
    kind: 'bar',
    xName: 'run',
    yName: 'share (%)',
    categories: single.map((r) => r.run),
    series: [{ name: 'seeder', points: single.map((r) => [r.run, round(seederShare(r) * 100)]) }],
  }
}

/** Fewest, mean and most copies of a piece over time, one chart per flash crowd. */
function availabilityCharts(flash: SimSwarmResult[]): ChartSpec[] {
  return flash.map((r, i) => ({
    id: `sim-availability-${i}`,
    title: `Pieces over time: ${r.run} (copies of a piece per leecher present)`,
    kind: 'line',
    xName: 'time (virtual s)',
    yName: 'copies / leechers present',
    series: (['min', 'mean', 'max'] as const).map((k) => ({
      name: `${k} piece`,
      points: thin(r.availability.map((a): [number, number] => [round(a.t / 1000), round(a[k], 3)])),
    })),
  }))
}

/** A row per run: completion against the fluid bound, the seeder's share, events and memory. */
function runsTable(runs: SimSwarmResult[], size: number): TableSpec {
  return {
    title: 'Simulated runs',
    columns: [
      'run',
      'model',
      'N',
      'seeders',
      'arrivals',
      'finished',
      'completion (s)',
      'T_min (s)',
      'ratio',
      'median download (s)',
      'p90 download (s)',
      'seeder sent / F',
      'seeder share of uploads',
      'events',
      'events/s',
      'wall (s)',
      'peak heap (MB)',
      'peak RSS (MB)',
    ],
    rows: runs.map((r) => runRow(r, size)),
  }
}

/** The measured access-link classes leechers' links are drawn from. */
function capacityTable(): TableSpec {
  return {
    title: 'Access links drawn for leechers (Saroiu et al. 2002, as tabulated by Bharambe et al. 2006)',
    columns: ['down (kbit/s)', 'up (kbit/s)', 'share of peers'],
    rows: MEASURED_CAPACITIES.map((c) => [c.downKbps, c.upKbps, `${c.share * 100} %`]),
  }
}

function round(x: number, digits = 1): number {
  const k = 10 ** digits
  return Math.round(x * k) / k
}
