import type { Fixture } from '../fixture.js'
import { checkVerdict, formatCount, formatSpread, type Repeated, spread } from '../repeats.js'
import {
  type ChartSpec,
  leechersOf,
  meanFirstPiece,
  progressChart,
  publicLeechers,
  repeatsTitle,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
} from '../scenario.js'
import type { RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

const LABEL: Record<'tracker' | 'dht', string> = {
  tracker: 'tracker T0',
  dht: 'DHT only (bootstrap D0)',
}

/** One implementation and way of finding peers: its runs and table row. */
interface DiscoveryCase {
  impl: SwarmImpl
  discovery: 'tracker' | 'dht'
  rep: Repeated
  row: (string | number)[]
}

/** Runs `impl` finding peers through `discovery` only (repeated) and sums the runs up. */
async function measureDiscovery(
  ctx: ScenarioContext,
  fixture: Fixture,
  impl: SwarmImpl,
  discovery: 'tracker' | 'dht',
  n: number,
): Promise<DiscoveryCase> {
  ctx.note(`trackerless: ${impl}, ${LABEL[discovery]}`)
  const rep = await ctx.runRepeated(
    {
      scenario: 'trackerless',
      run: `trackerless/${impl}/${discovery}`,
      impl,
      seeders: 1,
      leechers: publicLeechers(n),
      caps: ctx.caps,
      discovery,
      timeoutMs: Math.max(scalingBound(ctx, n) * 6, 60_000) * ctx.timeoutScale,
    },
    fixture,
  )
  const leechers = leechersOf(rep.runs)
  const done = leechers.filter((p) => p.doneAt !== undefined)
  const row = [
    impl,
    LABEL[discovery],
    `${done.length}/${leechers.length}`,
    formatSpread(rep.completion, secs),
    formatSpread(spread(rep.runs.map(meanFirstPiece)), secs),
    rep.runs.every((r) => r.peers.every((p) => p.intact !== false)) ? 'yes' : 'NO',
  ]
  return { impl, discovery, rep, row }
}

/** The headline line of one implementation: the DHT only against the tracker. */
function trackerlessLine(impl: SwarmImpl, dht: RunResult[], viaTracker: RunResult[]): string {
  const over = (rs: RunResult[], f: (r: RunResult) => number | undefined) =>
    formatSpread(spread(rs.map(f)), secs)
  return `trackerless ${impl}: DHT only, no tracker: every leecher finished in ${formatCount(dht.map((r) => r.allDone))}; completion ${over(dht, (r) => r.completion)} s against ${over(viaTracker, (r) => r.completion)} s through the tracker; first piece after ${over(dht, meanFirstPiece)} s against ${over(viaTracker, meanFirstPiece)} s ${checkVerdict(dht.map((r) => r.allDone))}`
}

/** The completion bars (tracker against DHT per implementation) and the DHT runs' progress charts. */
function trackerlessCharts(ctx: ScenarioContext, cases: DiscoveryCase[]): ChartSpec[] {
  const bars = new Map<string, [string, number][]>()
  for (const c of cases) {
    const pts = bars.get(LABEL[c.discovery]) ?? []
    pts.push([c.impl, c.rep.completion.median / 1000])
    bars.set(LABEL[c.discovery], pts)
  }
  // The median run of each DHT-only case.
  const charted = cases.filter((c) => c.discovery === 'dht').map((c) => c.rep.medianRun)
  return [
    {
      id: 'trackerless-completion',
      title: `Swarm completion: through a tracker against the DHT only${ctx.repeats > 1 ? ` (median of ${ctx.repeats} runs)` : ''}`,
      kind: 'bar',
      xName: 'implementation',
      yName: 'completion (s)',
      categories: ctx.impls,
      series: [...bars].map(([name, points]) => ({ name, points })),
    },
    ...charted.map((r, i) => progressChart(ctx, r, `trackerless-progress-${i}`)),
  ]
}

/**
 * Trackerless: the same swarm twice, once finding peers through our tracker and once with no tracker
 * at all, only the Mainline DHT (BEP 5) joined through one lab node. Shows the swarm needs no
 * central server, and what looking peers up in the DHT costs against asking a tracker.
 */
export const trackerless: Scenario = {
  name: 'trackerless',
  question: 'How does the system work without a central server?',
  summary:
    'No tracker: every peer is given one DHT node (D0, a bootstrap node that stores nothing of the torrent) and nothing else. ' +
    'Each peer joins the Kademlia network (a structured P2P overlay: node ids, XOR distance, k-buckets), announces the ' +
    'torrent to the nodes whose ids are closest to its info hash (get_peers then announce_peer with a token) and finds ' +
    'the others by the same lookup; connected peers also swap their DHT ports (BEP 5 port message). The lookup ' +
    'replaces the tracker: no single node holds the swarm, and any node can serve as the entry point. ' +
    'The table compares the same swarm found through our tracker.',
  async run(ctx) {
    const fixture = await ctx.fixture()
    const n = Math.max(...ctx.peers)
    const cases: DiscoveryCase[] = []
    const lines: string[] = []
    for (const impl of ctx.impls) {
      const viaTracker = await measureDiscovery(ctx, fixture, impl, 'tracker', n)
      const dht = await measureDiscovery(ctx, fixture, impl, 'dht', n)
      cases.push(viaTracker, dht)
      lines.push(trackerlessLine(impl, dht.rep.runs, viaTracker.rep.runs))
    }
    return {
      name: 'trackerless',
      question: this.question,
      summary: this.summary,
      runs: cases.flatMap((c) => c.rep.runs),
      tables: [
        {
          title: repeatsTitle(
            ctx,
            'Trackerless: the same swarm through a tracker and through the DHT only',
            '; ',
            ', leechers summed over them',
          ),
          columns: [
            'impl',
            'discovery',
            'finished',
            'completion (s)',
            'mean first piece after start (s)',
            'intact',
          ],
          rows: cases.map((c) => c.row),
        },
      ],
      charts: trackerlessCharts(ctx, cases),
      lines,
    }
  },
}
