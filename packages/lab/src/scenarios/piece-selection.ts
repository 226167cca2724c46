import type { Strategy } from '../peer-process.js'
import { formatSpread, spread } from '../repeats.js'
import {
  type ChartSpec,
  publicLeechers,
  repeatsTitle,
  type Scenario,
  type ScenarioContext,
  secs,
} from '../scenario.js'
import type { AvailabilitySample, RunResult } from '../swarm-types.js'
import { type LargestSwarm, largestSwarm } from './scaling.js'

/** One strategy's runs: its table row and the curves of its median run. */
interface StrategyCase {
  runs: RunResult[]
  row: (string | number)[]
  /** Pieces held by at least one leecher (%) over time. */
  coverage: ChartSpec['series'][number]
  /** Mean piece availability among leechers over time. */
  availability: ChartSpec['series'][number]
}

/** Runs the swarm with `strategy` (repeated) and sums the runs up. */
async function measureStrategy(
  ctx: ScenarioContext,
  swarm: LargestSwarm,
  strategy: Strategy,
): Promise<StrategyCase> {
  const { fixture, impl, n, bound } = swarm
  ctx.note(`piece-selection: ${impl}, ${strategy}`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'piece-selection',
      run: `piece-selection/${impl}/${strategy}`,
      impl,
      seeders: 1,
      leechers: publicLeechers(n),
      caps: ctx.caps,
      strategy,
      timeoutMs: Math.max(bound * 8, 30_000) * ctx.timeoutScale,
    },
    fixture,
  )
  // Curves of the median run; the table gives median (min–max) over every run.
  const r = rep.medianRun
  const curve = (value: (a: AvailabilitySample) => number) => ({
    name: strategy,
    points: r.availability.map((a): [number, number] => [Math.round(a.t / 100) / 10, value(a)]),
  })
  return {
    runs: rep.runs,
    row: [
      impl,
      strategy,
      formatSpread(spread(rep.runs.map((x) => x.independentAt)), secs),
      formatSpread(rep.completion, secs),
      formatSpread(
        spread(
          rep.runs.map((x) => (x.independentAt && x.completion ? x.independentAt / x.completion : undefined)),
        ),
      ),
    ],
    coverage: curve((a) => Math.round(a.coverage * 1000) / 10),
    availability: curve((a) => Math.round(a.mean * 100) / 100),
  }
}

/** The coverage and availability charts over the strategies' median runs. */
function selectionCharts(ctx: ScenarioContext, cases: StrategyCase[]): ChartSpec[] {
  const medianOf = ctx.repeats > 1 ? ` (the median run of ${ctx.repeats} per strategy)` : ''
  return [
    {
      id: 'pieces-coverage',
      title: `Pieces held by at least one leecher (%) over time${medianOf}`,
      kind: 'line',
      xName: 'time (s)',
      yName: 'coverage (%)',
      series: cases.map((c) => c.coverage),
    },
    {
      id: 'pieces-availability',
      title: `Mean piece availability among leechers over time${medianOf}`,
      kind: 'line',
      xName: 'time (s)',
      yName: 'copies per piece',
      series: cases.map((c) => c.availability),
    },
  ]
}

/**
 * Piece selection: rarest-first, sequential and random with the same swarm: when every piece first
 * exists among the leechers (the swarm no longer depends on the seeder) and availability over time.
 * libtorrent has no random mode, so it runs rarest and sequential only.
 */
export const pieceSelection: Scenario = {
  name: 'piece-selection',
  question: 'How does piece selection (rarest-first, sequential, random) affect the swarm?',
  summary: 'rarest-first vs sequential vs random: independence from the seeder, availability over time',
  async run(ctx) {
    const swarm = await largestSwarm(ctx)
    const strategies: Strategy[] =
      swarm.impl === 'libtorrent' ? ['rarest', 'sequential'] : ['rarest', 'sequential', 'random']
    const cases: StrategyCase[] = []
    for (const strategy of strategies) cases.push(await measureStrategy(ctx, swarm, strategy))
    const rows = cases.map((c) => c.row)
    return {
      name: 'piece-selection',
      question: this.question,
      summary: this.summary,
      runs: cases.flatMap((c) => c.runs),
      tables: [
        {
          title: repeatsTitle(ctx, 'Piece selection'),
          columns: [
            'impl',
            'strategy',
            'seeder no longer needed at (s)',
            'completion (s)',
            'independence / completion',
          ],
          rows,
        },
      ],
      charts: selectionCharts(ctx, cases),
      lines: rows.map(
        (r) =>
          `piece-selection ${r[0]} ${r[1]}: seeder no longer needed after ${r[2]} s, completion ${r[3]} s`,
      ),
    }
  },
}
