import { formatSpread, spread } from '../repeats.js'
import {
  leechersOf,
  meanFirstPiece,
  progressChart,
  publicLeechers,
  repeatsTitle,
  type Scenario,
  secs,
} from '../scenario.js'
import { largestSwarm } from './scaling.js'

/**
 * LAN: one seeder and N leechers on one segment with no tracker, no DHT and no address given: every peer
 * finds the others by local peer discovery (BEP 14 multicast: on the lab's bridge in netns mode, on the
 * loopback interface in the fallback), so all of them must finish. Runs every implementation asked for.
 */
export const lan: Scenario = {
  name: 'lan',
  question: 'Do peers on one LAN find each other without a tracker?',
  summary: 'one seeder and N leechers on one segment, no tracker: local peer discovery (BEP 14) only',
  async run(ctx) {
    const { fixture, n, bound } = await largestSwarm(ctx)
    const runs = []
    /** The median run of each implementation (its progress chart). */
    const charted = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    for (const impl of ctx.impls) {
      ctx.note(`lan: ${impl}, ${n} leechers, LSD only`)
      const rep = await ctx.runRepeated(
        {
          scenario: 'lan',
          run: `lan/${impl}/lsd`,
          impl,
          seeders: 1,
          leechers: publicLeechers(n),
          caps: ctx.caps,
          discovery: 'lsd',
          timeoutMs: Math.max(bound * 8, 30_000) * ctx.timeoutScale,
        },
        fixture,
      )
      runs.push(...rep.runs)
      charted.push(rep.medianRun)
      const leechers = leechersOf(rep.runs)
      const finished = leechers.filter((p) => p.doneAt !== undefined).length
      const firstPiece = spread(rep.runs.map(meanFirstPiece))
      const completion = formatSpread(rep.completion, secs)
      const over = ctx.repeats > 1 ? ` over ${ctx.repeats} runs` : ''
      rows.push([impl, `${finished}/${leechers.length}`, formatSpread(firstPiece, secs), completion])
      lines.push(
        `lan ${impl}: ${finished}/${leechers.length} leechers${over} found their peers by LSD alone and finished` +
          (rep.completion.n === 0 ? '' : ` in ${completion} s`),
      )
    }
    return {
      name: 'lan',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: repeatsTitle(
            ctx,
            'LAN: local peer discovery only (no tracker, no DHT, no addresses given)',
            '; ',
          ),
          columns: ['impl', 'leechers finished', 'mean first piece after start (s)', 'completion (s)'],
          rows,
        },
      ],
      charts: charted.map((r, i) => progressChart(ctx, r, `lan-progress-${i}`)),
      lines,
    }
  },
}
