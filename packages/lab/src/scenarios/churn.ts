import { exponential, seededRandom } from '../random.js'
import { checkVerdict, formatCount, formatSpread, type Repeated, spread } from '../repeats.js'
import {
  type ChartSpec,
  overRuns,
  progressChart,
  repeatsTitle,
  type Scenario,
  type ScenarioContext,
  secs,
} from '../scenario.js'
import type { LeecherSpec, RunResult } from '../swarm-types.js'
import { type LargestSwarm, largestSwarm } from './scaling.js'

/**
 * When the only seeder leaves: at 30% and 60% of the leechers' mean progress, and as soon as one full
 * copy is spread among the leechers ('copy': the case where everyone must still finish).
 */
export const SEEDER_LEAVE_AT: (number | 'copy')[] = [0.3, 0.6, 'copy']

/** How one churn run ended for the leechers that stayed. */
function churnOutcome(r: RunResult) {
  const ls = r.peers.filter((p) => p.role === 'leecher')
  const stayed = ls.filter((p) => p.leftAt === undefined)
  const done = stayed.filter((p) => p.doneAt !== undefined).length
  const finalCoverage = r.availability.at(-1)?.coverage ?? 0
  const result =
    done === stayed.length
      ? 'all finished'
      : finalCoverage < 1
        ? 'pieces lost from the swarm: stall expected'
        : 'NOT all finished although every piece remained'
  return { arrived: ls.length, stayed: stayed.length, done, result }
}

const leaveLabel = (at: number | 'copy') => (at === 'copy' ? 'one full copy out' : `${at * 100}%`)
/** Share of leechers that leave before they finish (Poisson departures). */
const DEPARTING_SHARE = 0.2

/** Leechers of one churn run: Poisson arrivals, a share of them leaving early (seeded per case). */
function churnLeechers(n: number, bound: number, leaveAt: number | 'copy'): LeecherSpec[] {
  const random = seededRandom(1000 + (leaveAt === 'copy' ? 99 : leaveAt * 100))
  let t = 0
  return Array.from({ length: n }, (_, i) => {
    if (i > 0) t += exponential(random, bound / n / 2)
    const departs = i > 0 && random() < DEPARTING_SHARE
    return {
      arriveAt: Math.round(t),
      leaveAt: departs ? Math.round(t + exponential(random, bound / 3)) : undefined,
    }
  })
}

/** One case of the churn scenario: its runs, table row and headline line. */
interface ChurnCase {
  rep: Repeated
  row: (string | number)[]
  line: string
}

/** Runs the swarm with the seeder leaving at `leaveAt` (repeated) and sums the runs up. */
async function measureChurn(
  ctx: ScenarioContext,
  swarm: LargestSwarm,
  leaveAt: number | 'copy',
): Promise<ChurnCase> {
  const { fixture, impl, n, bound } = swarm
  ctx.note(`churn: ${impl}, seeder leaves at ${leaveLabel(leaveAt)}`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'churn',
      run: `churn/${impl}/leave=${leaveAt === 'copy' ? 'copy' : leaveLabel(leaveAt)}`,
      impl,
      seeders: 1,
      leechers: churnLeechers(n, bound, leaveAt),
      caps: ctx.caps,
      seederLeaveAt: leaveAt,
      timeoutMs: Math.max(bound * 6, 30_000) * ctx.timeoutScale,
      stallMs: Math.max(5000, bound / 2),
    },
    fixture,
  )
  const outcomes = rep.runs.map(churnOutcome)
  // Whoever stays must finish whenever every piece remained in the swarm.
  const expected = outcomes.map((o) => o.result !== 'NOT all finished although every piece remained')
  const results = [...new Set(outcomes.map((o) => o.result))]
    .map(
      (res) => `${res}${rep.runs.length > 1 ? ` ×${outcomes.filter((o) => o.result === res).length}` : ''}`,
    )
    .join('; ')
  const finished = `${outcomes.reduce((a, o) => a + o.done, 0)}/${outcomes.reduce((a, o) => a + o.stayed, 0)}`
  const covered = formatSpread(
    spread(rep.runs.map((r) => r.coverageAfterSeederLeft)),
    (x) => `${(x * 100).toFixed(0)}%`,
  )
  const row = [
    impl,
    leaveLabel(leaveAt),
    formatSpread(spread(outcomes.map((o) => o.arrived)), String),
    formatSpread(spread(outcomes.map((o) => o.arrived - o.stayed)), String),
    finished,
    formatSpread(rep.completion, secs),
    covered,
    rep.runs.length === 1
      ? rep.runs[0]!.stalled
        ? 'yes'
        : 'no'
      : formatCount(rep.runs.map((r) => r.stalled)),
    results,
  ]
  const line = `churn ${impl} seeder leaves at ${leaveLabel(leaveAt)}: ${finished} staying leechers finished${overRuns(rep.runs)} (${results}); pieces in the swarm after the seeder left ${covered}; staying leechers finish whenever every piece remained: ${checkVerdict(expected)}`
  return { rep, row, line }
}

/** The progress chart of each case's median run, on one time axis. */
function churnCharts(ctx: ScenarioContext, charted: RunResult[]): ChartSpec[] {
  const xMax = Math.ceil(Math.max(...charted.map((x) => x.wallMs)) / 1000)
  return charted.map((r, i) => {
    const c = progressChart(ctx, r, `churn-progress-${i}`, xMax)
    return ctx.repeats > 1 ? { ...c, title: `${c.title} (the median run of ${ctx.repeats})` } : c
  })
}

/**
 * Churn: leechers arrive on a Poisson schedule, a few leave early, and the only seeder leaves at 30%
 * and 60% of the transfer. Checks that whoever stays finishes whenever every piece is still in the swarm.
 */
export const churn: Scenario = {
  name: 'churn',
  question: 'What happens when peers come and go, and when the only seeder leaves?',
  summary: 'the only seeder leaves at 30% / 60%; Poisson arrivals and departures',
  async run(ctx) {
    const swarm = await largestSwarm(ctx)
    const cases: ChurnCase[] = []
    for (const leaveAt of SEEDER_LEAVE_AT) cases.push(await measureChurn(ctx, swarm, leaveAt))
    const rows = cases.map((c) => c.row)
    return {
      name: 'churn',
      answer: `With Poisson arrivals and early departures, ${rows.map((r) => `${r[0]} with the seeder leaving at ${r[1]}: ${r[4]} staying leechers finished (${r[6]} of the pieces left in the swarm)`).join('; ')}.`,
      figure: 'churn-progress-0',
      question: this.question,
      summary: this.summary,
      runs: cases.flatMap((c) => c.rep.runs),
      tables: [
        {
          title: repeatsTitle(ctx, 'Churn', ': ', '; finished / stayed summed over them'),
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
      // One time axis for every chart (the median run of each case).
      charts: churnCharts(
        ctx,
        cases.map((c) => c.rep.medianRun),
      ),
      lines: cases.map((c) => c.line),
    }
  },
}
