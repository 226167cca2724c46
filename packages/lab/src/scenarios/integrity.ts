import type { FixtureVersion } from '../peer-process.js'
import { checkVerdict, formatCount, formatSpread, spread } from '../repeats.js'
import {
  leechersOf,
  publicLeechers,
  repeatsTitle,
  type Scenario,
  type ScenarioContext,
  type SwarmImpl,
  secs,
} from '../scenario.js'
import type { RunResult } from '../swarm-types.js'
import { scalingBound } from './scaling.js'

/**
 * v1 pieces are checked with SHA-1, v2 with SHA-256 merkle roots: run the hostile peer against both, for
 * every implementation.
 */
const VERSIONS: FixtureVersion[] = ['v1', 'v2']

/** One case of the integrity scenario: its runs, table row, failed pieces and headline line. */
interface IntegrityCase {
  runs: RunResult[]
  row: (string | number)[]
  /** Every failed piece: run, leecher, piece, algorithm, senders. */
  failures: (string | number)[][]
  line: string
}

/** Runs `impl` with a corrupt-serving peer on a `version` torrent (repeated) and sums the runs up. */
async function measureIntegrity(
  ctx: ScenarioContext,
  impl: SwarmImpl,
  version: FixtureVersion,
  n: number,
): Promise<IntegrityCase> {
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
  const failedPer = rep.runs.map((r) => ctx.log.of(r.run, 'piece').filter((e) => e.ok === false))
  const failures = failedPer.flatMap((failed, k) =>
    failed.map((e) => [
      rep.runs[k]!.run,
      e.peer ?? '',
      Number(e.index),
      String(e.algorithm),
      (e.peers as string[]).join(' '),
    ]),
  )
  const leechers = leechersOf(rep.runs)
  const intact = leechers.filter((p) => p.intact === true).length
  const algorithms = [...new Set(failedPer.flat().map((e) => String(e.algorithm)))].join('+') || '-'
  // Caught: some leecher banned the corrupt peer; intact: every leecher ended with the original file.
  const caught = rep.runs.map((r) => r.bans.length > 0)
  const allIntact = rep.runs.map((r) => leechersOf([r]).every((p) => p.intact === true))
  const bans =
    rep.runs.length === 1
      ? rep.runs[0]!.bans.map((b) => `${b.by} banned ${b.peer}`).join(', ') || 'none'
      : `banned in ${formatCount(caught)}`
  const failedCount = formatSpread(spread(failedPer.map((f) => f.length)), String)
  return {
    runs: rep.runs,
    row: [
      impl,
      version,
      failedCount,
      algorithms,
      bans,
      `${intact}/${leechers.length}`,
      formatSpread(rep.completion, secs),
    ],
    failures,
    line: `integrity ${impl} ${version}: ${failedCount} failed pieces (${algorithms}), corrupt peer banned in ${formatCount(caught)}: ${checkVerdict(caught)}, intact files ${intact}/${leechers.length}: ${checkVerdict(allIntact)}`,
  }
}

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
    const cases: IntegrityCase[] = []
    for (const impl of ctx.impls)
      for (const version of VERSIONS) cases.push(await measureIntegrity(ctx, impl, version, n))
    const rows = cases.map((c) => c.row)
    return {
      name: 'integrity',
      answer: `Against a peer flipping a byte of every block, ${rows.map((r) => `${r[0]} ${r[1]} failed ${r[2]} pieces (${r[3]}), ${r[4]}, intact files ${r[5]}`).join('; ')}.`,
      question: this.question,
      summary: this.summary,
      runs: cases.flatMap((c) => c.runs),
      tables: [
        {
          title: repeatsTitle(
            ctx,
            'Integrity',
            ': ',
            '; bans: runs where a leecher banned the corrupt peer; files summed over the runs',
          ),
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
          rows: cases.flatMap((c) => c.failures),
        },
      ],
      charts: [],
      lines: cases.map((c) => c.line),
    }
  },
}
