import { checkVerdict, formatCount, formatSpread, spread } from '../repeats.js'
import { type ChartSpec, progressChart, type Scenario, secs } from '../scenario.js'
import type { LeecherSpec, RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

/** The tracker is killed when the first leechers' mean progress reaches this fraction. */
export const TRACKER_DIES_AT = 0.3

/**
 * Tracker dies: half the leechers start with the tracker up; the tracker is killed at 30% of their
 * transfer; the other half arrive only then, so they never met anyone through it. With the DHT
 * (every peer joined it through the lab node D0 too) they find the swarm and finish; without it
 * (the control run, bounded in time) they find nobody.
 */
export const trackerDies: Scenario = {
  name: 'tracker-dies',
  question: 'What happens when the tracker dies mid-download?',
  summary:
    `The tracker process is killed (SIGKILL) at ${TRACKER_DIES_AT * 100}% of the first leechers' transfer; the late leechers ` +
    'start after that, so no tracker ever tells them about anyone. Peers that also joined the DHT announced the torrent ' +
    'there: the late leechers look the info hash up, reach the seeder and the first leechers, and finish; the central ' +
    'server was a single point of failure only for discovery, and the DHT removes it. The control run has no DHT.',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const n = Math.max(2, Math.max(...ctx.peers))
    const bound = scalingBound(ctx, n)
    const early = Math.ceil(n / 2)
    const leechers: LeecherSpec[] = Array.from({ length: n }, (_, i) =>
      i < early ? {} : { afterTrackerDies: true },
    )
    const runs: RunResult[] = []
    /** The median run of each case (its progress chart). */
    const charted: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    for (const impl of ctx.impls) {
      for (const dht of [true, false]) {
        ctx.note(`tracker-dies: ${impl}, ${dht ? 'with' : 'without'} the DHT`)
        const rep = await ctx.runRepeated(
          {
            scenario: 'tracker-dies',
            run: `tracker-dies/${impl}/${dht ? 'dht' : 'no-dht'}`,
            impl,
            seeders: 1,
            leechers,
            caps: ctx.caps,
            discovery: 'tracker',
            dht,
            trackerDiesAt: TRACKER_DIES_AT,
            // The control run cannot finish: bound it.
            timeoutMs: (dht ? Math.max(bound * 6, 60_000) : Math.max(bound * 3, 10_000)) * ctx.timeoutScale,
          },
          fixture,
        )
        runs.push(...rep.runs)
        charted.push(rep.medianRun)
        // Leechers are named L0, L1... in spec order: the first `early` started with the tracker up.
        const isLate = (name: string) => Number(name.slice(1)) >= early
        const ls = rep.runs.flatMap((r) => r.peers.filter((p) => p.role === 'leecher'))
        const late = ls.filter((p) => isLate(p.name))
        const lateDone = late.filter((p) => p.doneAt !== undefined)
        const firstDone = ls.filter((p) => !isLate(p.name) && p.doneAt !== undefined)
        const killedAt = formatSpread(spread(rep.runs.map((r) => r.trackerDiedAt)), secs)
        rows.push([
          impl,
          dht ? 'tracker + DHT' : 'tracker only',
          killedAt,
          `${firstDone.length}/${early * rep.runs.length}`,
          `${lateDone.length}/${late.length}`,
          formatSpread(rep.completion, secs),
        ])
        // With the DHT every late leecher finishes; without it none does.
        const expected = rep.runs.map((r) => {
          const lateOfRun = r.peers.filter((p) => p.role === 'leecher' && isLate(p.name))
          const finished = lateOfRun.filter((p) => p.doneAt !== undefined).length
          return dht ? finished === lateOfRun.length : finished === 0
        })
        lines.push(
          `tracker-dies ${impl} ${dht ? 'with' : 'without'} DHT: tracker killed at ${killedAt} s; ${lateDone.length}/${late.length} late leechers finished${rep.runs.length > 1 ? ` over ${rep.runs.length} runs` : ''}; as expected in ${formatCount(expected)} ${checkVerdict(expected)}`,
        )
      }
    }
    const charts: ChartSpec[] = charted.map((r, i) => {
      const chart = progressChart(ctx, r, `tracker-dies-progress-${i}`)
      if (r.trackerDiedAt !== undefined)
        chart.marks = [
          ...(chart.marks ?? []),
          { x: Math.round(r.trackerDiedAt / 100) / 10, label: 'tracker killed' },
        ]
      return chart
    })
    return {
      name: 'tracker-dies',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: `Tracker dies: leechers that arrive after it are found through the DHT, or not at all${ctx.repeats > 1 ? `; median (min–max) of ${ctx.repeats} runs, leechers summed over them` : ''}`,
          columns: [
            'impl',
            'discovery',
            'tracker killed at (s)',
            'first leechers done',
            'late leechers done',
            'completion (s)',
          ],
          rows,
        },
      ],
      charts,
      lines,
    }
  },
}
