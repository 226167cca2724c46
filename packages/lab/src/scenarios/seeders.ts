import type { Fixture } from '../fixture.js'
import { fluidBound } from '../fluid-bound.js'
import { formatSpread, type Repeated, type Spread, spread } from '../repeats.js'
import {
  type ChartSpec,
  leecherTimes,
  mean,
  publicLeechers,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
  type TableSpec,
} from '../scenario.js'
import type { RunResult } from '../swarm-types.js'

/** Seeder counts the scenario tries. */
export const SEEDER_COUNTS = [1, 2, 4, 8]

/** One implementation's runs with one seeder count. */
interface SeederPoint {
  impl: SwarmImpl
  seeders: number
  leechers: number
  completion: Repeated['completion']
  /** Mean leecher download speed of each run, bytes/s. */
  speeds: Spread
  /** The fluid bound's speed F/T_min, bytes/s. */
  ideal: number
}

type Series = { name: string; points: [string, number][] }

/** Seeders: the largest N leechers with 1, 2, 4, 8 seeders: mean download speed against seeders. */
export const seeders: Scenario = {
  name: 'seeders',
  question: 'How does download speed grow with the number of seeders?',
  summary:
    'N leechers with 1, 2, 4 and 8 seeders: mean download speed against the number of seeders, for each implementation',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const n = Math.max(...ctx.peers)
    const runs: RunResult[] = []
    const byImpl: SeederPoint[][] = []
    for (const impl of ctx.impls) {
      const points: SeederPoint[] = []
      for (const s of SEEDER_COUNTS) points.push(await measure(ctx, fixture, impl, s, n, runs))
      byImpl.push(points)
    }
    const speedSeries: Series[] = byImpl.map((ps) => ({
      name: `${ps[0]!.impl} mean speed`,
      points: ps.map((p) => [String(p.seeders), p.speeds.median / 1e6]),
    }))
    const boundPoints = (byImpl[0] ?? []).map((p): [string, number] => [String(p.seeders), p.ideal / 1e6])
    const rows = byImpl.flat().map(seedersRow)
    const boundGrowth = (boundPoints.at(-1)?.[1] ?? Number.NaN) / (boundPoints[0]?.[1] ?? Number.NaN)
    const growth = speedSeries.map(({ name, points }) => {
      const first = points[0]?.[1] ?? Number.NaN
      const last = points.at(-1)?.[1] ?? Number.NaN
      return `${name.replace(' mean speed', '')} ${first.toFixed(2)} -> ${last.toFixed(2)} MB/s (${(last / first).toFixed(2)}x)`
    })
    return {
      name: 'seeders',
      answer: `From ${SEEDER_COUNTS[0]} to ${SEEDER_COUNTS.at(-1)} seeders the mean leecher download speed went ${growth.join(', ')}, while the fluid bound grows ${boundGrowth.toFixed(2)}x.`,
      figure: 'seeders-speed',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [seedersTable(ctx, rows)],
      charts: [seedersChart(ctx, byImpl, speedSeries, boundPoints)],
      lines: [
        ...speedSeries.map((s) => speedLine(s, boundGrowth)),
        ...rows.map((r) => `seeders ${r[0]}: ${r[1]} seeder(s) -> mean ${r[4]} MB/s (bound ${r[5]})`),
      ],
    }
  },
}

/** Runs `impl` with `s` seeders and `n` leechers (repeated); its runs go to `runs`. */
async function measure(
  ctx: ScenarioContext,
  fixture: Fixture,
  impl: SwarmImpl,
  s: number,
  n: number,
  runs: RunResult[],
): Promise<SeederPoint> {
  const bound = fluidBound({
    size: ctx.size,
    seederUp: new Array(s).fill(ctx.caps.up),
    leecherDown: new Array(n).fill(ctx.caps.down),
    leecherUp: new Array(n).fill(ctx.caps.up),
  })
  ctx.note(`seeders: ${impl}, ${s} seeder(s), ${n} leechers`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'seeders',
      run: `seeders/${impl}/S=${s}`,
      impl,
      seeders: s,
      leechers: publicLeechers(n),
      caps: ctx.caps,
      timeoutMs: Math.max(bound * 6000, 30_000) * ctx.timeoutScale,
    },
    fixture,
  )
  runs.push(...rep.runs)
  const speeds = spread(rep.runs.map((r) => mean(leecherTimes(r).map((t) => ctx.size / (t / 1000)))))
  return { impl, seeders: s, leechers: n, completion: rep.completion, speeds, ideal: ctx.size / bound }
}

function seedersRow(p: SeederPoint): (string | number)[] {
  return [
    p.impl,
    p.seeders,
    p.leechers,
    formatSpread(p.completion, secs),
    formatSpread(p.speeds, (x) => (x / 1e6).toFixed(2)),
    (p.ideal / 1e6).toFixed(2),
    formatSpread(p.speeds, (x) => (x / p.ideal).toFixed(2)),
  ]
}

/** An implementation's speed with the fewest and the most seeders, against the fluid bound's growth. */
function speedLine({ name, points }: Series, boundGrowth: number): string {
  const first = points[0]?.[1] ?? Number.NaN
  const last = points.at(-1)?.[1] ?? Number.NaN
  return `seeders ${name.replace(' mean speed', '')}: mean leecher speed ${first.toFixed(2)} MB/s with ${SEEDER_COUNTS[0]} seeder, ${last.toFixed(2)} MB/s with ${SEEDER_COUNTS.at(-1)} (${(last / first).toFixed(2)}x; the fluid bound grows ${boundGrowth.toFixed(2)}x)`
}

function seedersTable(ctx: ScenarioContext, rows: (string | number)[][]): TableSpec {
  return {
    title:
      ctx.repeats > 1
        ? `Download speed vs seeders: median (min–max) of ${ctx.repeats} runs`
        : 'Download speed vs seeders',
    columns: [
      'impl',
      'seeders',
      'leechers',
      'completion (s)',
      'mean speed (MB/s)',
      'bound speed F/T_min (MB/s)',
      'ratio',
    ],
    rows,
  }
}

/** Mean speed per seeder count for each implementation (with its slowest and fastest run when repeated). */
function seedersChart(
  ctx: ScenarioContext,
  byImpl: SeederPoint[][],
  speedSeries: Series[],
  boundPoints: [string, number][],
): ChartSpec {
  const spreadSeries: Series[] =
    ctx.repeats > 1
      ? byImpl.flatMap((ps) => [
          {
            name: `${ps[0]!.impl} slowest run`,
            points: ps.map((p): [string, number] => [String(p.seeders), p.speeds.min / 1e6]),
          },
          {
            name: `${ps[0]!.impl} fastest run`,
            points: ps.map((p): [string, number] => [String(p.seeders), p.speeds.max / 1e6]),
          },
        ])
      : []
  return {
    id: 'seeders-speed',
    title: `Mean download speed vs number of seeders${ctx.repeats > 1 ? ` (median of ${ctx.repeats} runs, with the slowest and fastest run)` : ''}`,
    kind: 'bar',
    xName: 'seeders',
    yName: 'MB/s',
    categories: SEEDER_COUNTS.map(String),
    series: [...speedSeries, ...spreadSeries, { name: 'fluid-model speed F/T_min', points: boundPoints }],
  }
}
