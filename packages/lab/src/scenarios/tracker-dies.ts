import type { Fixture } from '../fixture.js'
import { checkVerdict, formatCount, formatSpread, type Repeated, spread } from '../repeats.js'
import {
  type ChartSpec,
  leechersOf,
  overRuns,
  progressChart,
  repeatsTitle,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
} from '../scenario.js'
import type { LeecherSpec, PeerResult, RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

/** The tracker is killed when the first leechers' mean progress reaches this fraction. */
export const TRACKER_DIES_AT = 0.3

/** The first `early` leechers start with the tracker up; the others once it is dead. */
interface TrackerDiesSwarm {
  fixture: Fixture
  n: number
  early: number
  bound: number
}

/** One case of the scenario (an implementation with or without the DHT): its runs, row and line. */
interface TrackerDiesCase {
  rep: Repeated
  row: (string | number)[]
  line: string
}

/** Runs `impl` with the tracker killed mid-transfer, with or without the DHT (repeated). */
async function measureTrackerDies(
  ctx: ScenarioContext,
  swarm: TrackerDiesSwarm,
  impl: SwarmImpl,
  dht: boolean,
): Promise<TrackerDiesCase> {
  const { fixture, n, early, bound } = swarm
  ctx.note(`tracker-dies: ${impl}, ${dht ? 'with' : 'without'} the DHT`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'tracker-dies',
      run: `tracker-dies/${impl}/${dht ? 'dht' : 'no-dht'}`,
      impl,
      seeders: 1,
      leechers: Array.from(
        { length: n },
        (_, i): LeecherSpec => (i < early ? {} : { afterTrackerDies: true }),
      ),
      caps: ctx.caps,
      discovery: 'tracker',
      dht,
      trackerDiesAt: TRACKER_DIES_AT,
      // The control run cannot finish: bound it.
      timeoutMs: (dht ? Math.max(bound * 6, 60_000) : Math.max(bound * 3, 10_000)) * ctx.timeoutScale,
    },
    fixture,
  )
  // Leechers are named L0, L1... in spec order: the first `early` started with the tracker up.
  const isLate = (name: string) => Number(name.slice(1)) >= early
  const finished = (ps: PeerResult[]) => ps.filter((p) => p.doneAt !== undefined).length
  const ls = leechersOf(rep.runs)
  const late = ls.filter((p) => isLate(p.name))
  const lateDone = finished(late)
  const firstDone = finished(ls.filter((p) => !isLate(p.name)))
  const killedAt = formatSpread(spread(rep.runs.map((r) => r.trackerDiedAt)), secs)
  // With the DHT every late leecher finishes; without it none does.
  const expected = rep.runs.map((r) => {
    const lateOfRun = leechersOf([r]).filter((p) => isLate(p.name))
    return dht ? finished(lateOfRun) === lateOfRun.length : finished(lateOfRun) === 0
  })
  return {
    rep,
    row: [
      impl,
      dht ? 'tracker + DHT' : 'tracker only',
      killedAt,
      `${firstDone}/${early * rep.runs.length}`,
      `${lateDone}/${late.length}`,
      formatSpread(rep.completion, secs),
    ],
    line: `tracker-dies ${impl} ${dht ? 'with' : 'without'} DHT: tracker killed at ${killedAt} s; ${lateDone}/${late.length} late leechers finished${overRuns(rep.runs)}; as expected in ${formatCount(expected)} ${checkVerdict(expected)}`,
  }
}

/** The progress chart of a median run, marked where the tracker was killed. */
function trackerDiesChart(ctx: ScenarioContext, r: RunResult, i: number): ChartSpec {
  const chart = progressChart(ctx, r, `tracker-dies-progress-${i}`)
  if (r.trackerDiedAt !== undefined)
    chart.marks = [
      ...(chart.marks ?? []),
      { x: Math.round(r.trackerDiedAt / 100) / 10, label: 'tracker killed' },
    ]
  return chart
}

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
    const n = Math.max(2, Math.max(...ctx.peers))
    const swarm = { fixture: await ctx.fixture(), n, early: Math.ceil(n / 2), bound: scalingBound(ctx, n) }
    const cases: TrackerDiesCase[] = []
    for (const impl of ctx.impls)
      for (const dht of [true, false]) cases.push(await measureTrackerDies(ctx, swarm, impl, dht))
    return {
      name: 'tracker-dies',
      question: this.question,
      summary: this.summary,
      runs: cases.flatMap((c) => c.rep.runs),
      tables: [
        {
          title: repeatsTitle(
            ctx,
            'Tracker dies: leechers that arrive after it are found through the DHT, or not at all',
            '; ',
            ', leechers summed over them',
          ),
          columns: [
            'impl',
            'discovery',
            'tracker killed at (s)',
            'first leechers done',
            'late leechers done',
            'completion (s)',
          ],
          rows: cases.map((c) => c.row),
        },
      ],
      charts: cases.map((c, i) => trackerDiesChart(ctx, c.rep.medianRun, i)),
      lines: cases.map((c) => c.line),
    }
  },
}
