import { type ChartSpec, leecherTimes, mean, publicLeechers, type Scenario, secs } from '../scenario.js'
import { downloadTimes } from '../sim/sim-charts.js'
import { SIM_BLOCK, simulateSwarm } from '../sim/sim-swarm.js'
import { largestSwarm } from './scaling.js'

/** One-way latency of a simulated host, ms (a namespace on the lab's bridge: well under 1 ms). */
const BRIDGE_LATENCY_MS = 0.1
/** Largest relative difference of the swarm completion times called agreement. */
export const SIM_TOLERANCE = 0.25

/**
 * Cross-check: the largest N emulated (hosts, tc caps, real processes) and simulated (the same
 * clients on @p2p/sim with the same caps and real 16 KiB blocks), per-leecher completion times side
 * by side.
 */
export const simCheck: Scenario = {
  name: 'sim-check',
  question: 'Does the simulator agree with the emulated hosts?',
  summary:
    'one seeder and the largest N leechers with the lab caps, emulated and simulated (our swarm both times): completion times side by side',
  async run(ctx) {
    const { fixture, n, bound } = await largestSwarm(ctx)
    const impl = 'ours'
    ctx.note(`sim-check: emulated, N=${n}`)
    const emulated = await ctx.runSwarm(
      {
        scenario: 'sim-check',
        run: `sim-check/emulated/N=${n}`,
        impl,
        seeders: 1,
        leechers: publicLeechers(n),
        caps: ctx.caps,
        timeoutMs: Math.max(bound * 6, 30_000) * ctx.timeoutScale,
      },
      fixture,
    )
    ctx.note(`sim-check: simulated, N=${n}`)
    const link = {
      latencyMs: BRIDGE_LATENCY_MS,
      loss: 0,
      bytesPerSecond: ctx.caps.up,
      downBytesPerSecond: ctx.caps.down,
    }
    const simulated = await simulateSwarm({
      run: `sim-check/simulated/N=${n}`,
      seed: 1,
      leechers: n,
      seeders: 1,
      size: ctx.size,
      // Real 16 KiB blocks, as the emulated wires send them: with one scaled block per piece, the
      // 16-block request pipeline held 16 whole pieces per connection (the emulated one holds one).
      pieces: Math.max(fixture.pieceCount, Math.ceil(ctx.size / SIM_BLOCK)),
      arrivals: 'flash',
      links: { caps: ctx.caps, latencyMs: BRIDGE_LATENCY_MS },
      seederLink: link,
      sampleMs: 250,
    })
    const eTimes = emulated.peers
      .filter((p) => p.role === 'leecher')
      .map((p) => (p.doneAt === undefined ? Number.NaN : p.doneAt - p.startAt))
    const sTimes = [...simulated.doneAt].map((d, i) => d - simulated.arriveAt[i]!)
    const names = eTimes.map((_, i) => `L${i}`)
    const e = emulated.completion
    const s = simulated.completion
    const diff = e !== undefined && s !== undefined ? Math.abs(e - s) / e : Number.NaN
    const meanE = mean(leecherTimes(emulated))
    const meanS = mean(downloadTimes(simulated))
    const chart: ChartSpec = {
      id: 'sim-check-times',
      title: `Emulated vs simulated: each leecher’s completion time (N = ${n})`,
      kind: 'bar',
      xName: 'leecher (sorted by time)',
      yName: 'time (s)',
      categories: [...names, 'swarm'],
      series: [
        {
          name: `emulated (${String(ctx.log.of(emulated.run, 'run-start')[0]?.mode)})`,
          times: eTimes,
          all: e,
        },
        { name: 'simulated (@p2p/sim)', times: sTimes, all: s },
      ].map(({ name, times, all }) => ({
        name,
        points: [...[...times].sort((a, b) => a - b), all ?? Number.NaN].map((t, i): [string, number] => [
          i < names.length ? names[i]! : 'swarm',
          Number.isNaN(t) ? 0 : Math.round(t / 100) / 10,
        ]),
      })),
    }
    const verdict = diff <= SIM_TOLERANCE ? 'PASS' : 'MISS'
    return {
      name: 'sim-check',
      question: this.question,
      summary: this.summary,
      runs: [emulated],
      tables: [
        {
          title: 'Emulated and simulated runs of the same swarm',
          columns: ['run', 'completion (s)', 'mean leecher (s)', 'T_min (s)', 'completion / T_min'],
          rows: [
            [emulated.run, secs(e), secs(meanE), secs(bound), e ? (e / bound).toFixed(2) : '-'],
            [simulated.run, secs(s), secs(meanS), secs(bound), s ? (s / bound).toFixed(2) : '-'],
          ],
        },
      ],
      charts: [chart],
      lines: [
        `sim-check N=${n}: completion emulated ${secs(e)} s, simulated ${secs(s)} s: differ by ${(diff * 100).toFixed(0)} % (bar <= ${SIM_TOLERANCE * 100} %) ${verdict}; mean leecher ${secs(meanE)} s vs ${secs(meanS)} s`,
      ],
    }
  },
}
