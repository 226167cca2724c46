import { availableParallelism } from 'node:os'
import { CPU_BOUND } from '../cpu-load.js'
import { fluidBound } from '../fluid-bound.js'
import { barLine, formatSpread, type Repeated, spread } from '../repeats.js'
import {
  availabilityChart,
  type ChartSpec,
  leecherTimes,
  mean,
  median,
  perPeerCharts,
  progressChart,
  publicLeechers,
  type Scenario,
  type ScenarioContext,
  secs,
} from '../scenario.js'
import type { RunResult } from '../swarm-types.js'

/** Extra timeout per leecher, ms: each peer process costs about 1-3 s of CPU on this loaded 2-core machine. */
const START_ALLOWANCE_MS = 3000

/**
 * What the run's peer processes cost: CPU time (ms, all threads), the cores they would need to move
 * the same bytes within the bound `boundMs`, and their mean peak resident memory (bytes).
 */
export function cpuUsage(
  r: RunResult,
  boundMs: number,
): { cpuMs: number; coresAtBound: number; meanRss: number } {
  const measured = r.peers.filter((p) => p.cpuMs !== undefined)
  const cpuMs = measured.reduce((a, p) => a + p.cpuMs!, 0)
  return {
    cpuMs,
    coresAtBound: cpuMs / boundMs,
    meanRss: mean(measured.map((p) => p.peakRss ?? 0)),
  }
}

/** A run's completion time over the bound, or undefined when it did not complete. */
export function completionRatio(r: RunResult, boundMs: number): number | undefined {
  return r.completion === undefined ? undefined : r.completion / boundMs
}

/** Each leecher's time from its start to its first verified piece, ms. */
export function firstPieces(r: RunResult): number[] {
  return r.peers
    .filter((p) => p.role === 'leecher' && p.firstPieceAt !== undefined)
    .map((p) => p.firstPieceAt! - Math.max(p.startAt, 0))
}

/** Fluid-model bound (ms) for one seeder and `n` leechers with the lab's caps. */
export function scalingBound(ctx: ScenarioContext, n: number, seeders = 1): number {
  const { up, down } = ctx.caps
  return (
    fluidBound({
      size: ctx.size,
      seederUp: new Array(seeders).fill(up),
      leecherDown: new Array(n).fill(down),
      leecherUp: new Array(n).fill(up),
    }) * 1000
  )
}

/** What churn, NAT and piece-selection start from: the file, the first implementation, the largest N and its bound. */
export async function largestSwarm(ctx: ScenarioContext) {
  const n = Math.max(...ctx.peers)
  return { fixture: await ctx.fixture(), impl: ctx.impls[0]!, n, bound: scalingBound(ctx, n) }
}

/** Scaling: one seeder, N leechers for each N; completion time against the fluid bound. */
export const scaling: Scenario = {
  name: 'scaling',
  question: 'How does distribution time grow with the number of peers (2, 5, 10, ...)?',
  summary: 'one seeder, N leechers: completion time against the fluid-model bound',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const runs: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    const bySeries = new Map<string, [number, number][]>()
    const spreadSeries: { name: string; points: [number, number][]; dashed: boolean }[] = []
    const answers: string[] = []
    /** The repeated runs per `impl N`. */
    const repeated = new Map<string, Repeated>()
    let cpuFrom: number | undefined
    const s1 = (x: number) => secs(x)
    for (const impl of ctx.impls) {
      const cpu = new Map<number, number>()
      const demand = new Map<number, number>()
      const lows: [number, number][] = []
      const highs: [number, number][] = []
      for (const n of ctx.peers) {
        const bound = scalingBound(ctx, n)
        ctx.note(`scaling: ${impl}, N=${n} (bound ${secs(bound)} s)`)
        const rep = await ctx.runRepeated(
          {
            scenario: 'scaling',
            run: `scaling/${impl}/N=${n}`,
            impl,
            seeders: 1,
            leechers: publicLeechers(n),
            caps: ctx.caps,
            // Starting a peer process costs CPU: 50 of them on a loaded 2-core machine take tens of seconds.
            timeoutMs: (Math.max(bound * 6, 30_000) + n * START_ALLOWANCE_MS) * ctx.timeoutScale,
          },
          fixture,
        )
        repeated.set(`${impl} ${n}`, rep)
        runs.push(...rep.runs)
        const r = rep.medianRun
        const times = rep.runs.flatMap(leecherTimes)
        // The bound assumes the seeder sends each byte once; every byte above that costs it upload time.
        const seederSent = (run: RunResult) =>
          run.peers.filter((p) => p.role === 'seeder').reduce((a, p) => a + p.uploaded, 0) / ctx.size
        const usage = cpuUsage(r, bound)
        rows.push([
          impl,
          n,
          formatSpread(rep.completion, s1),
          secs(bound),
          formatSpread(spread(rep.runs.map((x) => completionRatio(x, bound)))),
          formatSpread(spread(rep.runs.map((x) => mean(leecherTimes(x)))), s1),
          secs(Math.min(...times)),
          secs(Math.max(...times)),
          formatSpread(spread(rep.runs.map(seederSent))),
          formatSpread(spread(rep.runs.map((x) => median(firstPieces(x)))), s1),
          rep.runs.every((x) => x.peers.every((p) => p.intact !== false)) ? 'yes' : 'NO',
          r.cpuBusy === undefined ? '-' : `${Math.round(r.cpuBusy * 100)} %`,
          (usage.cpuMs / 1000).toFixed(1),
          usage.coresAtBound.toFixed(2),
          (usage.meanRss / 2 ** 20).toFixed(0),
          r.load.toFixed(1),
        ])
        cpu.set(n, r.cpuBusy ?? 0)
        demand.set(n, usage.coresAtBound)
        if (rep.completion.n > 0) {
          const pts = bySeries.get(impl) ?? []
          pts.push([n, rep.completion.median / 1000])
          bySeries.set(impl, pts)
          lows.push([n, rep.completion.min / 1000])
          highs.push([n, rep.completion.max / 1000])
        }
      }
      if (ctx.repeats > 1) {
        spreadSeries.push({ name: `${impl} fastest run`, points: lows, dashed: true })
        spreadSeries.push({ name: `${impl} slowest run`, points: highs, dashed: true })
      }
      const big = Math.max(...ctx.peers)
      const small = Math.min(...ctx.peers)
      const bigRuns = repeated.get(`${impl} ${big}`)!.runs
      const smallRuns = repeated.get(`${impl} ${small}`)!.runs
      const boundGrowth = scalingBound(ctx, big) / scalingBound(ctx, small)
      lines.push(
        barLine(
          `scaling ${impl}: N=${big} completion/T_min`,
          bigRuns.map((x) => completionRatio(x, scalingBound(ctx, big))),
          { max: 1.3 },
        ),
      )
      const paced = ctx.peers.find((n) => (cpu.get(n) ?? 0) >= CPU_BOUND)
      lines.push(
        `scaling ${impl}: machine CPU busy ${ctx.peers.map((n) => `${Math.round((cpu.get(n) ?? 0) * 100)} %`).join(', ')} at N = ${ctx.peers.join(', ')}: ${paced === undefined ? `below ${CPU_BOUND * 100} % throughout (the caps set the pace)` : `the CPU sets the pace from N=${paced} (>= ${CPU_BOUND * 100} % busy)`}`,
      )
      const cores = availableParallelism()
      const tooMuch = ctx.peers.find((n) => (demand.get(n) ?? 0) >= cores)
      const first = [paced, tooMuch].filter((n): n is number => n !== undefined)
      if (first.length) cpuFrom = Math.min(cpuFrom ?? Number.POSITIVE_INFINITY, ...first)
      answers.push(
        `${impl} ${ctx.peers.map((n) => formatSpread(repeated.get(`${impl} ${n}`)!.completion, s1)).join(' / ')} s`,
      )
      lines.push(
        `scaling ${impl}: the peers' own CPU at the bound's pace ${ctx.peers.map((n) => (demand.get(n) ?? 0).toFixed(2)).join(', ')} cores at N = ${ctx.peers.join(', ')} (machine: ${cores}): ${tooMuch === undefined ? 'these caps are CPU-feasible at every N on an idle machine' : `from N=${tooMuch} these caps need more CPU than the machine has, so the CPU sets the pace even when idle`}`,
      )
      lines.push(
        barLine(
          `scaling ${impl}: (T(N=${big})/T(N=${small})) / (T_min(${big})/T_min(${small}))`,
          bigRuns.map((x, k) => {
            const tSmall = smallRuns[k]?.completion
            return x.completion === undefined || tSmall === undefined
              ? undefined
              : x.completion / tSmall / boundGrowth
          }),
          { max: 1.3 },
        ),
      )
    }
    if (ctx.impls.includes('ours') && ctx.impls.includes('libtorrent')) {
      // Repeat k of libtorrent against repeat k of ours; per repeat, the worst N.
      const ratio = (n: number, k: number) =>
        median(firstPieces(repeated.get(`libtorrent ${n}`)!.runs[k]!)) /
        median(firstPieces(repeated.get(`ours ${n}`)!.runs[k]!))
      const ks = [...Array(ctx.repeats).keys()]
      const perN = ctx.peers.map((n) => formatSpread(spread(ks.map((k) => ratio(n, k)))))
      lines.push(
        barLine(
          `scaling: libtorrent's median time to first piece / ours (${perN.join(', ')} at N = ${ctx.peers.join(', ')}), worst N`,
          ks.map((k) => Math.max(...ctx.peers.map((n) => ratio(n, k)))),
          { max: 2 },
        ),
      )
    }
    const largest = ctx.impls.map((impl) => repeated.get(`${impl} ${Math.max(...ctx.peers)}`)!.medianRun)
    // One time axis for every implementation's progress chart.
    const xMax = Math.ceil(Math.max(...largest.map((r) => r.wallMs)) / 1000)
    const medianOf = ctx.repeats > 1 ? ` (the median run of ${ctx.repeats})` : ''
    const charts: ChartSpec[] = [
      {
        id: 'scaling-completion',
        title: `Swarm completion time vs number of leechers${ctx.repeats > 1 ? ` (median of ${ctx.repeats} runs, fastest and slowest dashed)` : ''}`,
        kind: 'line',
        xName: 'leechers N',
        yName: 'time (s)',
        series: [
          ...[...bySeries].map(([name, points]) => ({ name, points })),
          ...spreadSeries,
          {
            name: 'fluid bound T_min',
            points: ctx.peers.map((n) => [n, scalingBound(ctx, n) / 1000] as [number, number]),
            dashed: true,
          },
        ],
      },
      ...largest.map((r, i) => {
        const c = progressChart(ctx, r, `scaling-progress-${i}`, xMax)
        return { ...c, title: `${c.title}${medianOf}` }
      }),
      ...perPeerCharts(largest, 'scaling-peers'),
      availabilityChart(largest, 'scaling-availability'),
    ]
    const answer = `One seeder, N = ${ctx.peers.join(' / ')} leechers: the swarm finished in ${answers.join(', ')}${ctx.repeats > 1 ? ` (median and range of ${ctx.repeats} runs)` : ''} against the fluid bound's ${ctx.peers.map((n) => secs(scalingBound(ctx, n))).join(' / ')} s; ${cpuFrom === undefined ? 'the caps set the pace at every N' : `from N=${cpuFrom} the CPU, not the caps, set the pace`}.`
    return {
      name: 'scaling',
      answer,
      figure: 'scaling-completion',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title:
            ctx.repeats > 1
              ? `Scaling: median (min–max) of ${ctx.repeats} runs; CPU, memory and load columns from the median run`
              : 'Scaling',
          columns: [
            'impl',
            'N',
            'completion (s)',
            'T_min (s)',
            'ratio',
            'mean leecher (s)',
            'fastest (s)',
            'slowest (s)',
            'seeder sent / F',
            'median first piece (s)',
            'files intact',
            'machine CPU busy',
            'peers CPU (s)',
            'peers CPU at T_min (cores)',
            'mean peak RSS (MiB)',
            'load (1 min)',
          ],
          rows,
        },
      ],
      charts,
      lines,
    }
  },
}
