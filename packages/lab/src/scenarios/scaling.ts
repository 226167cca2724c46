import { CPU_BOUND } from '../cpu-load.js'
import { fluidBound } from '../fluid-bound.js'
import {
  type ChartSpec,
  leecherTimes,
  mean,
  perPeerCharts,
  progressChart,
  publicLeechers,
  type Scenario,
  type ScenarioContext,
  secs,
} from '../scenario.js'
import type { RunResult } from '../swarm-run.js'

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
    for (const impl of ctx.impls) {
      const done = new Map<number, number>()
      const cpu = new Map<number, number>()
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
            timeoutMs: Math.max(bound * 6, 30_000) * ctx.timeoutScale,
          },
          fixture,
        )
        runs.push(r)
        const times = leecherTimes(r)
        // The bound assumes the seeder sends each byte once; every byte above that costs it upload time.
        const seederSent = r.peers.filter((p) => p.role === 'seeder').reduce((a, p) => a + p.uploaded, 0)
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
          r.peers.every((p) => p.intact !== false) ? 'yes' : 'NO',
          r.cpuBusy === undefined ? '-' : `${Math.round(r.cpuBusy * 100)} %`,
        ])
        cpu.set(n, r.cpuBusy ?? 0)
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
      lines.push(
        `scaling ${impl}: (T(N=${big})/T(N=${small})) / (T_min(${big})/T_min(${small})) = ${growth.toFixed(2)} (bar <= 1.30) ${growth <= 1.3 ? 'PASS' : 'MISS'}`,
      )
    }
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
      ...runs
        .filter((r) => r.run.endsWith(`N=${Math.max(...ctx.peers)}`))
        .map((r, i) => progressChart(ctx, r, `scaling-progress-${i}`)),
      ...perPeerCharts(
        runs.filter((r) => r.run.endsWith(`N=${Math.max(...ctx.peers)}`)),
        'scaling-peers',
      ),
    ]
    return {
      name: 'scaling',
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
            'files intact',
            'machine CPU busy',
          ],
          rows,
        },
      ],
      charts,
      lines,
    }
  },
}
