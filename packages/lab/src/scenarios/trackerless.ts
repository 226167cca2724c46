import { checkVerdict, formatCount, formatSpread, spread } from '../repeats.js'
import { type ChartSpec, mean, progressChart, publicLeechers, type Scenario, secs } from '../scenario.js'
import type { Discovery, RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

/** Mean time (ms) from a leecher's start to its first verified piece: what finding peers costs. */
export function meanFirstPiece(r: RunResult): number {
  return mean(
    r.peers
      .filter((p) => p.role === 'leecher' && p.firstPieceAt !== undefined)
      .map((p) => p.firstPieceAt! - Math.max(p.startAt, 0)),
  )
}

const LABEL: Record<'tracker' | 'dht', string> = {
  tracker: 'tracker T0',
  dht: 'DHT only (bootstrap D0)',
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
    const bound = scalingBound(ctx, n)
    const runs: RunResult[] = []
    const rows: (string | number)[][] = []
    const lines: string[] = []
    const bars = new Map<string, [string, number][]>()
    /** The median run of each DHT-only case (its progress chart). */
    const charted: RunResult[] = []
    for (const impl of ctx.impls) {
      const byDiscovery = new Map<Discovery, RunResult[]>()
      for (const discovery of ['tracker', 'dht'] as const) {
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
            timeoutMs: Math.max(bound * 6, 60_000) * ctx.timeoutScale,
          },
          fixture,
        )
        runs.push(...rep.runs)
        byDiscovery.set(discovery, rep.runs)
        if (discovery === 'dht') charted.push(rep.medianRun)
        const leechers = rep.runs.flatMap((r) => r.peers.filter((p) => p.role === 'leecher'))
        const done = leechers.filter((p) => p.doneAt !== undefined)
        rows.push([
          impl,
          LABEL[discovery],
          `${done.length}/${leechers.length}`,
          formatSpread(rep.completion, secs),
          formatSpread(spread(rep.runs.map(meanFirstPiece)), secs),
          rep.runs.every((r) => r.peers.every((p) => p.intact !== false)) ? 'yes' : 'NO',
        ])
        const pts = bars.get(LABEL[discovery]) ?? []
        pts.push([impl, rep.completion.median / 1000])
        bars.set(LABEL[discovery], pts)
      }
      const dht = byDiscovery.get('dht')!
      const viaTracker = byDiscovery.get('tracker')!
      const over = (rs: RunResult[], f: (r: RunResult) => number | undefined) =>
        formatSpread(spread(rs.map(f)), secs)
      lines.push(
        `trackerless ${impl}: DHT only, no tracker: every leecher finished in ${formatCount(dht.map((r) => r.allDone))}; completion ${over(dht, (r) => r.completion)} s against ${over(viaTracker, (r) => r.completion)} s through the tracker; first piece after ${over(dht, meanFirstPiece)} s against ${over(viaTracker, meanFirstPiece)} s ${checkVerdict(dht.map((r) => r.allDone))}`,
      )
    }
    const charts: ChartSpec[] = [
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
    return {
      name: 'trackerless',
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: `Trackerless: the same swarm through a tracker and through the DHT only${ctx.repeats > 1 ? `; median (min–max) of ${ctx.repeats} runs, leechers summed over them` : ''}`,
          columns: [
            'impl',
            'discovery',
            'finished',
            'completion (s)',
            'mean first piece after start (s)',
            'intact',
          ],
          rows,
        },
      ],
      charts,
      lines,
    }
  },
}
