import { availableParallelism } from 'node:os'
import { CPU_BOUND } from '../cpu-load.js'
import { fluidBound } from '../fluid-bound.js'
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
import type { RunResult } from '../swarm-run.js'

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
    const answers: string[] = []
    /** Median time to first piece per `impl N`, ms. */
    const firstPiece = new Map<string, number>()
    let cpuFrom: number | undefined
    for (const impl of ctx.impls) {
      const done = new Map<number, number>()
      const cpu = new Map<number, number>()
      const demand = new Map<number, number>()
      for (const n of ctx.peers) {
        const bound = scalingBound(ctx, n)
        ctx.note(`scaling: ${impl}, N=${n} (bound ${secs(bound)} s)`)
        const r = await ctx.runSwarm(
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
        runs.push(r)
        const times = leecherTimes(r)
        // The bound assumes the seeder sends each byte once; every byte above that costs it upload time.
        const seederSent = r.peers.filter((p) => p.role === 'seeder').reduce((a, p) => a + p.uploaded, 0)
        const usage = cpuUsage(r, bound)
        rows.push([
          impl,
          n,
          secs(r.completion),
          secs(bound),
          r.completion ? (r.completion / bound).toFixed(2) : '-',
          secs(mean(times)),
          secs(Math.min(...times)),
          secs(Math.max(...times)),
          (seederSent / ctx.size).toFixed(2),
          secs(median(firstPieces(r))),
          r.peers.every((p) => p.intact !== false) ? 'yes' : 'NO',
          r.cpuBusy === undefined ? '-' : `${Math.round(r.cpuBusy * 100)} %`,
          (usage.cpuMs / 1000).toFixed(1),
          usage.coresAtBound.toFixed(2),
          (usage.meanRss / 2 ** 20).toFixed(0),
          r.load.toFixed(1),
        ])
        cpu.set(n, r.cpuBusy ?? 0)
        demand.set(n, usage.coresAtBound)
        firstPiece.set(`${impl} ${n}`, median(firstPieces(r)))
        if (r.completion !== undefined) {
          done.set(n, r.completion)
          const pts = bySeries.get(impl) ?? []
          pts.push([n, r.completion / 1000])
          bySeries.set(impl, pts)
        }
      }
      const big = Math.max(...ctx.peers)
      const small = Math.min(...ctx.peers)
      const tBig = done.get(big)
      const tSmall = done.get(small)
      const rBig = tBig !== undefined ? tBig / scalingBound(ctx, big) : Number.NaN
      const growth =
        tBig !== undefined && tSmall !== undefined
          ? tBig / tSmall / (scalingBound(ctx, big) / scalingBound(ctx, small))
          : Number.NaN
      lines.push(
        `scaling ${impl}: N=${big} completion/T_min = ${rBig.toFixed(2)} (bar <= 1.30) ${rBig <= 1.3 ? 'PASS' : 'MISS'}`,
      )
      const paced = ctx.peers.find((n) => (cpu.get(n) ?? 0) >= CPU_BOUND)
      lines.push(
        `scaling ${impl}: machine CPU busy ${ctx.peers.map((n) => `${Math.round((cpu.get(n) ?? 0) * 100)} %`).join(', ')} at N = ${ctx.peers.join(', ')}: ${paced === undefined ? `below ${CPU_BOUND * 100} % throughout (the caps set the pace)` : `the CPU sets the pace from N=${paced} (>= ${CPU_BOUND * 100} % busy)`}`,
      )
      const cores = availableParallelism()
      const tooMuch = ctx.peers.find((n) => (demand.get(n) ?? 0) >= cores)
      const first = [paced, tooMuch].filter((n): n is number => n !== undefined)
      if (first.length) cpuFrom = Math.min(cpuFrom ?? Number.POSITIVE_INFINITY, ...first)
      answers.push(`${impl} ${ctx.peers.map((n) => secs(done.get(n))).join(' / ')} s`)
      lines.push(
        `scaling ${impl}: the peers' own CPU at the bound's pace ${ctx.peers.map((n) => (demand.get(n) ?? 0).toFixed(2)).join(', ')} cores at N = ${ctx.peers.join(', ')} (machine: ${cores}): ${tooMuch === undefined ? 'these caps are CPU-feasible at every N on an idle machine' : `from N=${tooMuch} these caps need more CPU than the machine has, so the CPU sets the pace even when idle`}`,
      )
      lines.push(
        `scaling ${impl}: (T(N=${big})/T(N=${small})) / (T_min(${big})/T_min(${small})) = ${growth.toFixed(2)} (bar <= 1.30) ${growth <= 1.3 ? 'PASS' : 'MISS'}`,
      )
    }
    if (ctx.impls.includes('ours') && ctx.impls.includes('libtorrent')) {
      const ratios = ctx.peers.map((n) => firstPiece.get(`libtorrent ${n}`)! / firstPiece.get(`ours ${n}`)!)
      const worst = Math.max(...ratios)
      lines.push(
        `scaling: libtorrent's median time to first piece / ours = ${ratios.map((x) => x.toFixed(2)).join(', ')} at N = ${ctx.peers.join(', ')} (bar <= 2) ${worst <= 2 ? 'PASS' : 'MISS'}`,
      )
    }
    const largest = runs.filter((r) => r.run.endsWith(`N=${Math.max(...ctx.peers)}`))
    // One time axis for every implementation's progress chart.
    const xMax = Math.ceil(Math.max(...largest.map((r) => r.wallMs)) / 1000)
    const charts: ChartSpec[] = [
      {
        id: 'scaling-completion',
        title: 'Swarm completion time vs number of leechers',
        kind: 'line',
        xName: 'leechers N',
        yName: 'time (s)',
        series: [
          ...[...bySeries].map(([name, points]) => ({ name, points })),
          {
            name: 'fluid bound T_min',
            points: ctx.peers.map((n) => [n, scalingBound(ctx, n) / 1000] as [number, number]),
            dashed: true,
          },
        ],
      },
      ...largest.map((r, i) => progressChart(ctx, r, `scaling-progress-${i}`, xMax)),
      ...perPeerCharts(largest, 'scaling-peers'),
      availabilityChart(largest, 'scaling-availability'),
    ]
    const answer = `One seeder, N = ${ctx.peers.join(' / ')} leechers: the swarm finished in ${answers.join(', ')} against the fluid bound's ${ctx.peers.map((n) => secs(scalingBound(ctx, n))).join(' / ')} s; ${cpuFrom === undefined ? 'the caps set the pace at every N' : `from N=${cpuFrom} the CPU, not the caps, set the pace`}.`
    return {
      name: 'scaling',
      answer,
      figure: 'scaling-completion',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: 'Scaling',
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
