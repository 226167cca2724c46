import { fluidBound } from '../fluid-bound.js'
import { formatSpread, spread } from '../repeats.js'
import { leecherTimes, mean, publicLeechers, type Scenario, secs } from '../scenario.js'

/** Seeder counts the scenario tries. */
export const SEEDER_COUNTS = [1, 2, 4, 8]

/** Seeders: the largest N leechers with 1, 2, 4, 8 seeders: mean download speed against seeders. */
export const seeders: Scenario = {
  name: 'seeders',
  question: 'How does download speed grow with the number of seeders?',
  summary:
    'N leechers with 1, 2, 4 and 8 seeders: mean download speed against the number of seeders, for each implementation',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const n = Math.max(...ctx.peers)
    const runs = []
    const rows: (string | number)[][] = []
    const speedSeries: { name: string; points: [string, number][] }[] = []
    const spreadSeries: { name: string; points: [string, number][] }[] = []
    const boundPoints: [string, number][] = []
    for (const impl of ctx.impls) {
      const points: [string, number][] = []
      const lows: [string, number][] = []
      const highs: [string, number][] = []
      speedSeries.push({ name: `${impl} mean speed`, points })
      if (ctx.repeats > 1)
        spreadSeries.push(
          { name: `${impl} slowest run`, points: lows },
          { name: `${impl} fastest run`, points: highs },
        )
      for (const s of SEEDER_COUNTS) {
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
        const speed = speeds.median
        const ideal = ctx.size / bound
        points.push([String(s), speed / 1e6])
        lows.push([String(s), speeds.min / 1e6])
        highs.push([String(s), speeds.max / 1e6])
        if (impl === ctx.impls[0]) boundPoints.push([String(s), ideal / 1e6])
        rows.push([
          impl,
          s,
          n,
          formatSpread(rep.completion, secs),
          formatSpread(speeds, (x) => (x / 1e6).toFixed(2)),
          (ideal / 1e6).toFixed(2),
          formatSpread(speeds, (x) => (x / ideal).toFixed(2)),
        ])
      }
    }
    const lines = speedSeries.map(({ name, points }) => {
      const first = points[0]?.[1] ?? Number.NaN
      const last = points.at(-1)?.[1] ?? Number.NaN
      const ideal = (boundPoints.at(-1)?.[1] ?? Number.NaN) / (boundPoints[0]?.[1] ?? Number.NaN)
      return `seeders ${name.replace(' mean speed', '')}: mean leecher speed ${first.toFixed(2)} MB/s with ${SEEDER_COUNTS[0]} seeder, ${last.toFixed(2)} MB/s with ${SEEDER_COUNTS.at(-1)} (${(last / first).toFixed(2)}x; the fluid bound grows ${ideal.toFixed(2)}x)`
    })
    const growth = speedSeries.map(({ name, points }) => {
      const first = points[0]?.[1] ?? Number.NaN
      const last = points.at(-1)?.[1] ?? Number.NaN
      return `${name.replace(' mean speed', '')} ${first.toFixed(2)} -> ${last.toFixed(2)} MB/s (${(last / first).toFixed(2)}x)`
    })
    const boundGrowth = (boundPoints.at(-1)?.[1] ?? Number.NaN) / (boundPoints[0]?.[1] ?? Number.NaN)
    return {
      name: 'seeders',
      answer: `From ${SEEDER_COUNTS[0]} to ${SEEDER_COUNTS.at(-1)} seeders the mean leecher download speed went ${growth.join(', ')}, while the fluid bound grows ${boundGrowth.toFixed(2)}x.`,
      figure: 'seeders-speed',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
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
        },
      ],
      charts: [
        {
          id: 'seeders-speed',
          title: `Mean download speed vs number of seeders${ctx.repeats > 1 ? ` (median of ${ctx.repeats} runs, with the slowest and fastest run)` : ''}`,
          kind: 'bar',
          xName: 'seeders',
          yName: 'MB/s',
          categories: SEEDER_COUNTS.map(String),
          series: [
            ...speedSeries,
            ...spreadSeries,
            { name: 'fluid-model speed F/T_min', points: boundPoints },
          ],
        },
      ],
      lines: [
        ...lines,
        ...rows.map((r) => `seeders ${r[0]}: ${r[1]} seeder(s) -> mean ${r[4]} MB/s (bound ${r[5]})`),
      ],
    }
  },
}
