import type { EventLog } from '../event-log.js'
import type { Fixture } from '../fixture.js'
import { barLine, formatSpread, median, type Repeated, spread } from '../repeats.js'
import {
  type ChartSpec,
  publicLeechers,
  type Scenario,
  type ScenarioContext,
  secs,
  type TableSpec,
} from '../scenario.js'
import { downloadTimes } from '../sim/sim-charts.js'
import { simulateSwarm } from '../sim/sim-swarm.js'
import { SIM_BLOCK, type SimSwarmResult } from '../sim/sim-swarm-types.js'
import type { RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

/** One-way latency of a simulated host, ms (a namespace on the lab's bridge: well under 1 ms). */
const BRIDGE_LATENCY_MS = 0.1
/**
 * Largest relative difference between the simulated and the emulated median leecher download time
 * (each leecher from the moment its client was up to its last piece) called agreement.
 */
export const SIM_TOLERANCE = 0.25
/**
 * Share of the bytes tc's token bucket counts that is payload: it meters whole Ethernet frames, and a
 * full TCP segment carries 1448 payload bytes in 1514 (14 Ethernet + 20 IP + 32 TCP with timestamps),
 * so an emulated link moves 4.4 % fewer payload bytes than its cap. The simulated links carry
 * payload only and get the cap times this share.
 */
export const TCP_PAYLOAD_SHARE = 1448 / 1514

/**
 * When each leecher of an emulated run was up, ms from the swarm's zero: its first announce at the lab
 * tracker (its process start with `--discovery direct`). Process start-up (1-4 s on a loaded machine,
 * which the simulator does not model) comes before it.
 */
function emulatedArrivals(log: EventLog, r: RunResult): number[] {
  const zero = log.of(r.run, 'swarm-ready')[0]?.t ?? 0
  const first = new Map<string, number>()
  for (const e of log.of(r.run, 'announce')) if (e.peer && !first.has(e.peer)) first.set(e.peer, e.t - zero)
  return r.peers.filter((p) => p.role === 'leecher').map((p) => Math.max(0, first.get(p.name) ?? p.startAt))
}

/** Every leecher's download time from its arrival, ms (NaN for one that did not finish). */
function emulatedTimes(r: RunResult, arrivals: number[]): number[] {
  return r.peers
    .filter((p) => p.role === 'leecher')
    .map((p, i) => (p.doneAt === undefined ? Number.NaN : p.doneAt - arrivals[i]!))
}

/** `[t s, % of leechers done]` points of a CDF of download times (ms). */
function cdf(times: number[], n: number): [number, number][] {
  const sorted = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b)
  return sorted.map((t, i): [number, number] => [
    Math.round(t / 100) / 10,
    Math.round(((i + 1) / n) * 1000) / 10,
  ])
}

/**
 * Cross-check: for each N of the lab, the same swarm emulated (hosts, tc caps, real processes, our
 * peers, `ctx.repeats` runs) and simulated (the same clients on @p2p/sim with the same caps less the
 * TCP/IP header share tc counts, real 16 KiB blocks, one seed per repeat). Simulated run k replays
 * emulated run k's timeline: each simulated leecher arrives when its emulated twin's client was up
 * ({@link emulatedArrivals}), and both count download times from there. States whether the median
 * leecher download times agree within {@link SIM_TOLERANCE}, and puts both download-time CDFs of every
 * N on one chart.
 */
export const simCheck: Scenario = {
  name: 'sim-check',
  question: 'Does the simulator agree with the emulated hosts?',
  summary:
    'one seeder and N leechers with the lab caps, emulated and simulated (our swarm both times): download times side by side, agreement within a stated tolerance',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const checks: NCheck[] = []
    for (const n of ctx.peers) checks.push(await checkAt(ctx, fixture, n))
    const lines = checks.map((c) => c.line)
    return {
      name: 'sim-check',
      answer: `Median leecher download time, emulated against simulated (tolerance ${SIM_TOLERANCE * 100} %; simulated run k replays emulated run k's arrivals, the simulated links less the ${((1 - TCP_PAYLOAD_SHARE) * 100).toFixed(1)} % of TCP/IP headers tc counts): ${lines.map((l) => l.replace(/^sim-check /, '')).join('; ')}.`,
      figure: 'sim-check-cdf',
      question: this.question,
      summary: this.summary,
      runs: checks.flatMap((c) => c.runs),
      tables: [
        simCheckTable(
          ctx,
          checks.flatMap((c) => c.rows),
        ),
      ],
      charts: [
        {
          id: 'sim-check-cdf',
          title: `Emulated vs simulated: share of leechers done against their download time${ctx.repeats > 1 ? ' (the median run of each)' : ''}`,
          kind: 'line',
          xName: 'download time (s)',
          yName: 'leechers done (%)',
          series: checks.flatMap((c) => c.cdfs),
        },
        timesChart(ctx, checks),
      ],
      lines,
    }
  },
}

/** The emulated and simulated swarms of one N, side by side. */
interface NCheck {
  n: number
  /** The emulated runs. */
  runs: RunResult[]
  /** Median leecher download time of each emulated run, and of each simulated one, ms. */
  emulated: number[]
  simulated: number[]
  /** The table's emulated and simulated rows. */
  rows: (string | number)[][]
  /** Download-time CDFs of the median emulated and simulated runs. */
  cdfs: ChartSpec['series']
  /** The agreement's result line. */
  line: string
}

/** Runs `n` leechers emulated (repeated), then simulated run k replaying emulated run k's arrivals. */
async function checkAt(ctx: ScenarioContext, fixture: Fixture, n: number): Promise<NCheck> {
  const bound = scalingBound(ctx, n)
  ctx.note(`sim-check: emulated, N=${n}`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'sim-check',
      run: `sim-check/emulated/N=${n}`,
      impl: 'ours',
      seeders: 1,
      leechers: publicLeechers(n),
      caps: ctx.caps,
      timeoutMs: (Math.max(bound * 6, 30_000) + n * 3000) * ctx.timeoutScale,
    },
    fixture,
  )
  const arrivals = rep.runs.map((r) => emulatedArrivals(ctx.log, r))
  const simulated: SimSwarmResult[] = []
  for (let k = 1; k <= rep.runs.length; k++)
    simulated.push(await simulateTwin(ctx, fixture, n, k, arrivals[k - 1]!))
  const eTimes = rep.runs.map((r, k) => emulatedTimes(r, arrivals[k]!))
  const eMedians = eTimes.map((ts) => median(ts.filter(Number.isFinite)))
  const sMedians = simulated.map((s) => median(downloadTimes(s)))
  const mode = String(ctx.log.of(rep.medianRun.run, 'run-start')[0]?.mode ?? ctx.mode)
  const medianSim = [...simulated].sort((a, b) => median(downloadTimes(a)) - median(downloadTimes(b)))[
    (simulated.length - 1) >> 1
  ]!
  // Repeat k emulated against seed k simulated: the verdict carries the spread of both.
  const diffs = eMedians.map((e, k) => Math.abs((sMedians[k] ?? Number.NaN) - e) / e)
  return {
    n,
    runs: rep.runs,
    emulated: eMedians,
    simulated: sMedians,
    rows: checkRows(ctx, mode, n, bound, rep, simulated, eMedians, sMedians),
    cdfs: [
      { name: `emulated (${mode}) N=${n}`, points: cdf(eTimes[rep.runs.indexOf(rep.medianRun)]!, n) },
      { name: `simulated N=${n}`, points: cdf(downloadTimes(medianSim), n), dashed: true },
    ],
    line: barLine(
      `sim-check N=${n}: median leecher download emulated ${formatSpread(spread(eMedians), secs)} s, simulated ${formatSpread(spread(sMedians), secs)} s; |simulated − emulated| / emulated`,
      diffs,
      { max: SIM_TOLERANCE },
    ),
  }
}

/** Simulated run `k` (seed k) of `n` leechers arriving at `arrivalTimes`, on the lab's caps less the headers. */
async function simulateTwin(
  ctx: ScenarioContext,
  fixture: Fixture,
  n: number,
  k: number,
  arrivalTimes: number[],
): Promise<SimSwarmResult> {
  const payload = { up: ctx.caps.up * TCP_PAYLOAD_SHARE, down: ctx.caps.down * TCP_PAYLOAD_SHARE }
  ctx.note(`sim-check: simulated, N=${n}, seed ${k}`)
  return await simulateSwarm({
    run: `sim-check/simulated/N=${n}${ctx.repeats > 1 ? ` #${k}` : ''}`,
    seed: k,
    leechers: n,
    seeders: 1,
    size: ctx.size,
    // Real 16 KiB blocks, as the emulated wires send them: with one scaled block per piece, the
    // 16-block request pipeline held 16 whole pieces per connection (the emulated one holds one).
    pieces: Math.max(fixture.pieceCount, Math.ceil(ctx.size / SIM_BLOCK)),
    arrivals: 'flash',
    arrivalTimes,
    links: { caps: payload, latencyMs: BRIDGE_LATENCY_MS },
    seederLink: {
      latencyMs: BRIDGE_LATENCY_MS,
      loss: 0,
      bytesPerSecond: payload.up,
      downBytesPerSecond: payload.down,
    },
    sampleMs: 250,
  })
}

/** The table's emulated and simulated rows of one N. */
function checkRows(
  ctx: ScenarioContext,
  mode: string,
  n: number,
  bound: number,
  rep: Repeated,
  simulated: SimSwarmResult[],
  eMedians: number[],
  sMedians: number[],
): (string | number)[][] {
  const copies = (bytes: number) => (bytes / ctx.size).toFixed(2)
  const seederBytes = (r: RunResult) =>
    r.peers.filter((p) => p.role === 'seeder').reduce((sum, p) => sum + p.uploaded, 0)
  return [
    [
      `emulated (${mode})`,
      n,
      rep.runs.length,
      formatSpread(spread(eMedians), secs),
      formatSpread(rep.completion, secs),
      secs(bound),
      formatSpread(spread(rep.runs.map(seederBytes)), copies),
      formatSpread(spread(rep.runs.map((r) => r.load)), (x) => x.toFixed(1)),
    ],
    [
      'simulated (@p2p/sim)',
      n,
      simulated.length,
      formatSpread(spread(sMedians), secs),
      formatSpread(spread(simulated.map((s) => s.completion)), secs),
      secs(bound),
      formatSpread(spread(simulated.map((s) => s.seederUploaded)), copies),
      '',
    ],
  ]
}

function simCheckTable(ctx: ScenarioContext, rows: (string | number)[][]): TableSpec {
  return {
    title: `Emulated and simulated runs of the same swarms${ctx.repeats > 1 ? `: median (min–max) of ${ctx.repeats} runs (simulated: seeds 1..${ctx.repeats})` : ''}; simulated run k replays emulated run k: each leecher arrives when its emulated twin's client was up (first announce at the tracker) and download times count from there; simulated links carry the caps × ${TCP_PAYLOAD_SHARE.toFixed(3)} (payload share of a full TCP frame); tolerance on the median leecher download time ${SIM_TOLERANCE * 100} %`,
    columns: [
      'run',
      'N',
      'runs',
      'median leecher download (s)',
      'swarm completion (s)',
      'T_min (s)',
      'seeder upload (copies of the file)',
      'load average (1 min)',
    ],
    rows,
  }
}

/** Median leecher download time per N, emulated and simulated (with the fastest and slowest run when repeated). */
function timesChart(ctx: ScenarioContext, checks: NCheck[]): ChartSpec {
  const bars = (name: string, pick: (c: NCheck) => number[], f: (xs: number[]) => number) => ({
    name,
    points: checks.map((c): [string, number] => {
      const y = f(pick(c).filter(Number.isFinite))
      return [`N=${c.n}`, Number.isFinite(y) ? Math.round(y / 100) / 10 : 0]
    }),
  })
  const many = ctx.repeats > 1
  const fastest = (xs: number[]) => Math.min(...xs)
  const slowest = (xs: number[]) => Math.max(...xs)
  return {
    id: 'sim-check-times',
    title: `Emulated vs simulated: median leecher download time per N${many ? ` (median, fastest and slowest of ${ctx.repeats} runs)` : ''}`,
    kind: 'bar',
    xName: 'leechers',
    yName: 'time (s)',
    categories: checks.map((c) => `N=${c.n}`),
    series: [
      bars('emulated', (c) => c.emulated, median),
      bars('simulated', (c) => c.simulated, median),
      ...(many
        ? [
            bars('emulated fastest', (c) => c.emulated, fastest),
            bars('emulated slowest', (c) => c.emulated, slowest),
            bars('simulated fastest', (c) => c.simulated, fastest),
            bars('simulated slowest', (c) => c.simulated, slowest),
          ]
        : []),
    ],
  }
}
