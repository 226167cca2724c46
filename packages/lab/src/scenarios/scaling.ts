import { availableParallelism } from 'node:os'
import { CPU_BOUND } from '../cpu-load.js'
import type { Fixture } from '../fixture.js'
import { fluidBound } from '../fluid-bound.js'
import { barLine, formatSpread, type Repeated, spread } from '../repeats.js'
import {
  availabilityChart,
  type ChartSpec,
  firstPieces,
  leecherTimes,
  mean,
  median,
  perPeerCharts,
  progressChart,
  publicLeechers,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
  type TableSpec,
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
export interface LargestSwarm {
  fixture: Fixture
  impl: SwarmImpl
  n: number
  bound: number
}

/** The {@link LargestSwarm} of the context. */
export async function largestSwarm(ctx: ScenarioContext): Promise<LargestSwarm> {
  const n = Math.max(...ctx.peers)
  return { fixture: await ctx.fixture(), impl: ctx.impls[0]!, n, bound: scalingBound(ctx, n) }
}

/** One implementation's repeated runs at one N. */
interface ScalingPoint {
  impl: SwarmImpl
  n: number
  bound: number
  rep: Repeated
  /** Machine CPU busy during the median run (0 when unknown). */
  cpu: number
  /** Cores the median run's peers would need at the bound's pace. */
  demand: number
  row: (string | number)[]
}

const s1 = (x: number) => secs(x)

/** Scaling: one seeder, N leechers for each N; completion time against the fluid bound. */
export const scaling: Scenario = {
  name: 'scaling',
  question: 'How does distribution time grow with the number of peers (2, 5, 10, ...)?',
  summary: 'one seeder, N leechers: completion time against the fluid-model bound',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const runs: RunResult[] = []
    const byImpl: ScalingPoint[][] = []
    /** The repeated runs per `impl N`. */
    const repeated = new Map<string, Repeated>()
    for (const impl of ctx.impls) {
      const points: ScalingPoint[] = []
      for (const n of ctx.peers) {
        const p = await measure(ctx, fixture, impl, n)
        repeated.set(`${impl} ${n}`, p.rep)
        runs.push(...p.rep.runs)
        points.push(p)
      }
      byImpl.push(points)
    }
    const lines: string[] = []
    const answers: string[] = []
    let cpuFrom: number | undefined
    for (const points of byImpl) {
      const impl = points[0]!.impl
      const summary = implSummary(ctx, impl, points, repeated)
      lines.push(...summary.lines)
      answers.push(summary.answer)
      if (summary.cpuFrom !== undefined)
        cpuFrom = Math.min(cpuFrom ?? Number.POSITIVE_INFINITY, summary.cpuFrom)
    }
    if (ctx.impls.includes('ours') && ctx.impls.includes('libtorrent'))
      lines.push(firstPieceLine(ctx, repeated))
    const answer = `One seeder, N = ${ctx.peers.join(' / ')} leechers: the swarm finished in ${answers.join(', ')}${ctx.repeats > 1 ? ` (median and range of ${ctx.repeats} runs)` : ''} against the fluid bound's ${ctx.peers.map((n) => secs(scalingBound(ctx, n))).join(' / ')} s; ${cpuFrom === undefined ? 'the caps set the pace at every N' : `from N=${cpuFrom} the CPU, not the caps, set the pace`}.`
    return {
      name: 'scaling',
      answer,
      figure: 'scaling-completion',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        scalingTable(
          ctx,
          byImpl.flat().map((p) => p.row),
        ),
      ],
      charts: scalingCharts(ctx, byImpl, repeated),
      lines,
    }
  },
}

/** Runs `impl` with one seeder and `n` leechers (repeated) and sums the runs up. */
async function measure(
  ctx: ScenarioContext,
  fixture: Fixture,
  impl: SwarmImpl,
  n: number,
): Promise<ScalingPoint> {
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
  const r = rep.medianRun
  const usage = cpuUsage(r, bound)
  const times = rep.runs.flatMap(leecherTimes)
  // The bound assumes the seeder sends each byte once; every byte above that costs it upload time.
  const seederSent = (run: RunResult) =>
    run.peers.filter((p) => p.role === 'seeder').reduce((a, p) => a + p.uploaded, 0) / ctx.size
  const row = [
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
  ]
  return { impl, n, bound, rep, cpu: r.cpuBusy ?? 0, demand: usage.coresAtBound, row }
}

/**
 * One implementation's result lines (completion against the bound at the largest N, CPU pace and
 * demand, growth from the smallest N), its part of the answer, and the first N where the CPU set the pace.
 */
function implSummary(
  ctx: ScenarioContext,
  impl: SwarmImpl,
  points: ScalingPoint[],
  repeated: Map<string, Repeated>,
): { lines: string[]; answer: string; cpuFrom?: number } {
  const cpu = new Map(points.map((p) => [p.n, p.cpu]))
  const demand = new Map(points.map((p) => [p.n, p.demand]))
  const big = Math.max(...ctx.peers)
  const small = Math.min(...ctx.peers)
  const bigRuns = repeated.get(`${impl} ${big}`)!.runs
  const smallRuns = repeated.get(`${impl} ${small}`)!.runs
  const boundGrowth = scalingBound(ctx, big) / scalingBound(ctx, small)
  const paced = ctx.peers.find((n) => (cpu.get(n) ?? 0) >= CPU_BOUND)
  const cores = availableParallelism()
  const tooMuch = ctx.peers.find((n) => (demand.get(n) ?? 0) >= cores)
  const first = [paced, tooMuch].filter((n): n is number => n !== undefined)
  const lines = [
    barLine(
      `scaling ${impl}: N=${big} completion/T_min`,
      bigRuns.map((x) => completionRatio(x, scalingBound(ctx, big))),
      { max: 1.3 },
    ),
    `scaling ${impl}: machine CPU busy ${ctx.peers.map((n) => `${Math.round((cpu.get(n) ?? 0) * 100)} %`).join(', ')} at N = ${ctx.peers.join(', ')}: ${paced === undefined ? `below ${CPU_BOUND * 100} % throughout (the caps set the pace)` : `the CPU sets the pace from N=${paced} (>= ${CPU_BOUND * 100} % busy)`}`,
    `scaling ${impl}: the peers' own CPU at the bound's pace ${ctx.peers.map((n) => (demand.get(n) ?? 0).toFixed(2)).join(', ')} cores at N = ${ctx.peers.join(', ')} (machine: ${cores}): ${tooMuch === undefined ? 'these caps are CPU-feasible at every N on an idle machine' : `from N=${tooMuch} these caps need more CPU than the machine has, so the CPU sets the pace even when idle`}`,
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
  ]
  const answer = `${impl} ${ctx.peers.map((n) => formatSpread(repeated.get(`${impl} ${n}`)!.completion, s1)).join(' / ')} s`
  return { lines, answer, cpuFrom: first.length ? Math.min(...first) : undefined }
}

/** libtorrent's median time to first piece over ours: repeat k against repeat k, per repeat the worst N. */
function firstPieceLine(ctx: ScenarioContext, repeated: Map<string, Repeated>): string {
  const ratio = (n: number, k: number) =>
    median(firstPieces(repeated.get(`libtorrent ${n}`)!.runs[k]!)) /
    median(firstPieces(repeated.get(`ours ${n}`)!.runs[k]!))
  const ks = [...Array(ctx.repeats).keys()]
  const perN = ctx.peers.map((n) => formatSpread(spread(ks.map((k) => ratio(n, k)))))
  return barLine(
    `scaling: libtorrent's median time to first piece / ours (${perN.join(', ')} at N = ${ctx.peers.join(', ')}), worst N`,
    ks.map((k) => Math.max(...ctx.peers.map((n) => ratio(n, k)))),
    { max: 2 },
  )
}

/** Completion against N with the bound, and the largest swarm's progress, per-peer and availability charts. */
function scalingCharts(
  ctx: ScenarioContext,
  byImpl: ScalingPoint[][],
  repeated: Map<string, Repeated>,
): ChartSpec[] {
  const complete = (points: ScalingPoint[]) => points.filter((p) => p.rep.completion.n > 0)
  const seriesOf = (points: ScalingPoint[], pick: (p: ScalingPoint) => number): [number, number][] =>
    complete(points).map((p) => [p.n, pick(p) / 1000])
  const medians = byImpl
    .filter((points) => complete(points).length > 0)
    .map((points) => ({ name: points[0]!.impl, points: seriesOf(points, (p) => p.rep.completion.median) }))
  const spreads =
    ctx.repeats > 1
      ? byImpl.flatMap((points) => [
          {
            name: `${points[0]!.impl} fastest run`,
            points: seriesOf(points, (p) => p.rep.completion.min),
            dashed: true,
          },
          {
            name: `${points[0]!.impl} slowest run`,
            points: seriesOf(points, (p) => p.rep.completion.max),
            dashed: true,
          },
        ])
      : []
  const largest = ctx.impls.map((impl) => repeated.get(`${impl} ${Math.max(...ctx.peers)}`)!.medianRun)
  // One time axis for every implementation's progress chart.
  const xMax = Math.ceil(Math.max(...largest.map((r) => r.wallMs)) / 1000)
  const medianOf = ctx.repeats > 1 ? ` (the median run of ${ctx.repeats})` : ''
  return [
    {
      id: 'scaling-completion',
      title: `Swarm completion time vs number of leechers${ctx.repeats > 1 ? ` (median of ${ctx.repeats} runs, fastest and slowest dashed)` : ''}`,
      kind: 'line',
      xName: 'leechers N',
      yName: 'time (s)',
      series: [
        ...medians,
        ...spreads,
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
}

function scalingTable(ctx: ScenarioContext, rows: (string | number)[][]): TableSpec {
  return {
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
  }
}
