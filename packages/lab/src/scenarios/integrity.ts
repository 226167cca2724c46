import type { TorrentVersion } from '../peer-process.js'
import { publicLeechers, type Scenario, secs } from '../scenario.js'
import { scalingBound } from './scaling.js'

/**
 * v1 pieces are checked with SHA-1, v2 with SHA-256 merkle roots: run the hostile peer against both, for
 * every implementation.
 */
const VERSIONS: TorrentVersion[] = ['v1', 'v2']

/**
 * Integrity: a peer serves blocks with flipped bytes. The log shows every failed piece (algorithm and
 * sender), the ban, and the leechers' final files must equal the original (SHA-256).
 */
export const integrity: Scenario = {
  name: 'integrity',
  question: 'Is every piece checked (SHA-1 v1, SHA-256 merkle v2), and is a peer that sends bad data caught?',
  summary: 'a corrupt-serving peer: failed pieces, who sent them, the ban, intact final files',
  async run(ctx) {
    const n = Math.min(...ctx.peers)
    const runs = []
    const rows: (string | number)[][] = []
    const failures: (string | number)[][] = []
    const lines: string[] = []
    for (const impl of ctx.impls)
      for (const version of VERSIONS) {
        const fixture = await ctx.fixture(version)
        const bound = scalingBound(ctx, n)
        ctx.note(`integrity: ${impl}, ${version}`)
        const r = await ctx.runSwarm(
          {
            scenario: 'integrity',
            run: `integrity/${impl}/${version}`,
            impl,
            seeders: 1,
            hostile: 1,
            leechers: publicLeechers(n),
            caps: ctx.caps,
            timeoutMs: Math.max(bound * 10, 40_000) * ctx.timeoutScale,
          },
          fixture,
        )
        runs.push(r)
        const failed = ctx.log.of(r.run, 'piece').filter((e) => e.ok === false)
        for (const e of failed)
          failures.push([
            impl,
            version,
            e.peer ?? '',
            Number(e.index),
            String(e.algorithm),
            (e.peers as string[]).join(' '),
          ])
        const leechers = r.peers.filter((p) => p.role === 'leecher')
        const intact = leechers.filter((p) => p.intact === true).length
        const algorithms = [...new Set(failed.map((e) => String(e.algorithm)))].join('+') || '-'
        rows.push([
          impl,
          version,
          failed.length,
          algorithms,
          r.bans.map((b) => `${b.by} banned ${b.peer}`).join(', ') || 'none',
          `${intact}/${leechers.length}`,
          secs(r.completion),
        ])
        lines.push(
          `integrity ${impl} ${version}: ${failed.length} failed pieces (${algorithms}), bans: ${r.bans.length}, intact files ${intact}/${leechers.length}`,
        )
      }
    return {
      name: 'integrity',
      answer: `Against a peer flipping a byte of every block, ${rows.map((r) => `${r[0]} ${r[1]} failed ${r[2]} pieces (${r[3]}), ${r[4]}, intact files ${r[5]}`).join('; ')}.`,
      question: this.question,
      summary: this.summary,
      runs,
      tables: [
        {
          title: 'Integrity',
          columns: [
            'impl',
            'torrent',
            'failed pieces',
            'algorithm',
            'bans',
            'SHA-256 of final file = original',
            'completion (s)',
          ],
          rows,
        },
        {
          title: 'Every failed piece',
          columns: ['impl', 'torrent', 'leecher', 'piece', 'algorithm', 'sent by'],
          rows: failures,
        },
      ],
      charts: [],
      lines,
    }
  },
}
