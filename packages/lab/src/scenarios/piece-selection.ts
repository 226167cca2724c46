import type { Strategy } from '../peer-process.js'
import { formatSpread, spread } from '../repeats.js'
import type { ChartSpec, Scenario } from '../scenario.js'
import { publicLeechers, secs } from '../scenario.js'
import { largestSwarm } from './scaling.js'

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
    const { fixture, impl, n, bound } = await largestSwarm(ctx)
    const strategies: Strategy[] =
      impl === 'libtorrent' ? ['rarest', 'sequential'] : ['rarest', 'sequential', 'random']
    const runs = []
    const rows: (string | number)[][] = []
    const coverage: ChartSpec['series'] = []
    const minAvail: ChartSpec['series'] = []
    for (const strategy of strategies) {
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
      runs.push(...rep.runs)
      // Curves of the median run; the table gives median (min–max) over every run.
      const r = rep.medianRun
      rows.push([
        impl,
        strategy,
        formatSpread(spread(rep.runs.map((x) => x.independentAt)), secs),
        formatSpread(rep.completion, secs),
        formatSpread(
          spread(
            rep.runs.map((x) =>
              x.independentAt && x.completion ? x.independentAt / x.completion : undefined,
            ),
          ),
        ),
      ])
      coverage.push({
        name: strategy,
        points: r.availability.map((a) => [Math.round(a.t / 100) / 10, Math.round(a.coverage * 1000) / 10]),
      })
      minAvail.push({
        name: strategy,
        points: r.availability.map((a) => [Math.round(a.t / 100) / 10, Math.round(a.mean * 100) / 100]),
      })
    }
    const medianOf = ctx.repeats > 1 ? ` (the median run of ${ctx.repeats} per strategy)` : ''
    return {
      name: 'piece-selection',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title:
            ctx.repeats > 1 ? `Piece selection: median (min–max) of ${ctx.repeats} runs` : 'Piece selection',
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
      charts: [
        {
          id: 'pieces-coverage',
          title: `Pieces held by at least one leecher (%) over time${medianOf}`,
          kind: 'line',
          xName: 'time (s)',
          yName: 'coverage (%)',
          series: coverage,
        },
        {
          id: 'pieces-availability',
          title: `Mean piece availability among leechers over time${medianOf}`,
          kind: 'line',
          xName: 'time (s)',
          yName: 'copies per piece',
          series: minAvail,
        },
      ],
      lines: rows.map(
        (r) =>
          `piece-selection ${r[0]} ${r[1]}: seeder no longer needed after ${r[2]} s, completion ${r[3]} s`,
      ),
    }
  },
}
