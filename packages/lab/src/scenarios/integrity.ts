import type { TorrentVersion } from '../peer-process.js'
import { checkVerdict, formatCount, formatSpread, spread } from '../repeats.js'
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
        const rep = await ctx.runRepeated(
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
        runs.push(...rep.runs)
        const failedPer = rep.runs.map((r) => ctx.log.of(r.run, 'piece').filter((e) => e.ok === false))
        for (const [k, failed] of failedPer.entries())
          for (const e of failed)
            failures.push([
              rep.runs[k]!.run,
              e.peer ?? '',
              Number(e.index),
              String(e.algorithm),
              (e.peers as string[]).join(' '),
            ])
        const leechers = rep.runs.flatMap((r) => r.peers.filter((p) => p.role === 'leecher'))
        const intact = leechers.filter((p) => p.intact === true).length
        const algorithms = [...new Set(failedPer.flat().map((e) => String(e.algorithm)))].join('+') || '-'
        // Caught: some leecher banned the corrupt peer; intact: every leecher ended with the original file.
        const caught = rep.runs.map((r) => r.bans.length > 0)
        const allIntact = rep.runs.map((r) =>
          r.peers.filter((p) => p.role === 'leecher').every((p) => p.intact === true),
        )
        const bans =
          rep.runs.length === 1
            ? rep.runs[0]!.bans.map((b) => `${b.by} banned ${b.peer}`).join(', ') || 'none'
            : `banned in ${formatCount(caught)}`
        rows.push([
          impl,
          version,
          formatSpread(spread(failedPer.map((f) => f.length)), String),
          algorithms,
          bans,
          `${intact}/${leechers.length}`,
          formatSpread(rep.completion, secs),
        ])
        lines.push(
          `integrity ${impl} ${version}: ${formatSpread(spread(failedPer.map((f) => f.length)), String)} failed pieces (${algorithms}), corrupt peer banned in ${formatCount(caught)}: ${checkVerdict(caught)}, intact files ${intact}/${leechers.length}: ${checkVerdict(allIntact)}`,
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
          title:
            ctx.repeats > 1
              ? `Integrity: median (min–max) of ${ctx.repeats} runs; bans: runs where a leecher banned the corrupt peer; files summed over the runs`
              : 'Integrity',
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
          columns: ['run', 'leecher', 'piece', 'algorithm', 'sent by'],
          rows: failures,
        },
      ],
      charts: [],
      lines,
    }
  },
}
