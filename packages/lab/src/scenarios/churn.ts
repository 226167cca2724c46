import { exponential, seededRandom } from '../random.js'
import { progressChart, type Scenario, secs } from '../scenario.js'
import type { LeecherSpec, RunResult } from '../swarm-run.js'
import { largestSwarm } from './scaling.js'

/**
 * When the only seeder leaves: at 30% and 60% of the leechers' mean progress, and as soon as one full
 * copy is spread among the leechers ('copy': the case where everyone must still finish).
 */
export const SEEDER_LEAVE_AT: (number | 'copy')[] = [0.3, 0.6, 'copy']

const leaveLabel = (at: number | 'copy') => (at === 'copy' ? 'one full copy out' : `${at * 100}%`)
/** Share of leechers that leave before they finish (Poisson departures). */
const DEPARTING_SHARE = 0.2

/**
 * Churn: leechers arrive on a Poisson schedule, a few leave early, and the only seeder leaves at 30%
 * and 60% of the transfer. Checks that whoever stays finishes whenever every piece is still in the swarm.
 */
export const churn: Scenario = {
  name: 'churn',
  question: 'What happens when peers come and go, and when the only seeder leaves?',
  summary: 'the only seeder leaves at 30% / 60%; Poisson arrivals and departures',
  async run(ctx) {
    const { fixture, impl, n, bound } = await largestSwarm(ctx)
    const runs: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    for (const leaveAt of SEEDER_LEAVE_AT) {
      const random = seededRandom(1000 + (leaveAt === 'copy' ? 99 : leaveAt * 100))
      let t = 0
      const leechers: LeecherSpec[] = Array.from({ length: n }, (_, i) => {
        if (i > 0) t += exponential(random, bound / n / 2)
        const departs = i > 0 && random() < DEPARTING_SHARE
        return {
          arriveAt: Math.round(t),
          leaveAt: departs ? Math.round(t + exponential(random, bound / 3)) : undefined,
        }
      })
      ctx.note(`churn: ${impl}, seeder leaves at ${leaveLabel(leaveAt)}`)
      const r = await ctx.runSwarm(
        {
          scenario: 'churn',
          run: `churn/${impl}/leave=${leaveAt === 'copy' ? 'copy' : leaveLabel(leaveAt)}`,
          impl,
          seeders: 1,
          leechers,
          caps: ctx.caps,
          seederLeaveAt: leaveAt,
          timeoutMs: Math.max(bound * 6, 30_000) * ctx.timeoutScale,
          stallMs: Math.max(5000, bound / 2),
        },
        fixture,
      )
      runs.push(r)
      const ls = r.peers.filter((p) => p.role === 'leecher')
      const stayed = ls.filter((p) => p.leftAt === undefined)
      const done = stayed.filter((p) => p.doneAt !== undefined)
      const covered = r.coverageAfterSeederLeft
      const finalCoverage = r.availability.at(-1)?.coverage ?? 0
      const expectation =
        done.length === stayed.length
          ? 'all finished'
          : finalCoverage < 1
            ? 'pieces lost from the swarm: stall expected'
            : 'NOT all finished although every piece remained'
      rows.push([
        impl,
        leaveLabel(leaveAt),
        ls.length,
        ls.length - stayed.length,
        `${done.length}/${stayed.length}`,
        secs(r.completion),
        covered === undefined ? '-' : `${(covered * 100).toFixed(0)}%`,
        r.stalled ? 'yes' : 'no',
        expectation,
      ])
      lines.push(
        `churn ${impl} seeder leaves at ${leaveLabel(leaveAt)}: ${done.length}/${stayed.length} staying leechers finished; ${expectation}`,
      )
    }
    return {
      name: 'churn',
      answer: `With Poisson arrivals and early departures, ${rows.map((r) => `${r[0]} with the seeder leaving at ${r[1]}: ${r[4]} staying leechers finished (${r[6]} of the pieces left in the swarm)`).join('; ')}.`,
      figure: 'churn-progress-0',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: 'Churn',
          columns: [
            'impl',
            'seeder leaves at',
            'leechers arrived',
            'left early',
            'finished / stayed',
            'completion (s)',
            'pieces in swarm after seeder left',
            'stalled',
            'result',
          ],
          rows,
        },
      ],
      // One time axis for every run's chart.
      charts: runs.map((r, i) =>
        progressChart(
          ctx,
          r,
          `churn-progress-${i}`,
          Math.ceil(Math.max(...runs.map((x) => x.wallMs)) / 1000),
        ),
      ),
      lines,
    }
  },
}
