import { readFile } from 'node:fs/promises'
import { fluidBound, runLab } from '@p2p/lab'
import { tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'
import { verdict } from '../src/repeats.js'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('repeats each run, logs the repeat per event and reports median (min–max) with a spread verdict', {
  timeout: 300_000,
}, async () => {
  const dir = await tempDir('p2p-lab-repeats-')
  dirs.push(dir)
  const size = 512 * 1024
  const r = await runLab({
    scenarios: ['scaling', 'integrity', 'churn'],
    peers: [2],
    repeats: 2,
    size,
    up: 1_000_000,
    down: 4_000_000,
    out: `${dir.path}/out`,
    network: 'loopback',
    impls: ['ours'],
    timeoutScale: 2,
    pdf: false,
  })
  const [scaling, integrity, churn] = r.results
  expect(scaling!.runs.map((run) => [run.run, run.repeat])).toEqual([
    ['scaling/ours/N=2 #1', 1],
    ['scaling/ours/N=2 #2', 2],
  ])
  for (const run of scaling!.runs) expect(run.allDone).toBe(true)

  // Every event of a run carries its repeat index.
  const events = (await readFile(r.eventsPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { run: string; repeat?: number; type: string })
  for (const k of [1, 2]) {
    const ofRun = events.filter((e) => e.run === `scaling/ours/N=2 #${k}`)
    expect(ofRun.some((e) => e.type === 'run-end')).toBe(true)
    expect(ofRun.every((e) => e.repeat === k)).toBe(true)
  }

  // The table shows median (min–max) of the two completions.
  const table = scaling!.tables.find((t) => t.title.startsWith('Scaling'))!
  expect(table.title).toContain('median (min–max) of 2 runs')
  const completion = String(table.rows[0]![table.columns.indexOf('completion (s)')])
  const times = scaling!.runs.map((run) => (run.completion! / 1000).toFixed(1))
  const [lo, hi] = [...times].sort((a, b) => Number(a) - Number(b))
  expect(completion).toMatch(
    new RegExp(`^\\d+\\.\\d \\(${lo!.replace('.', '\\.')}–${hi!.replace('.', '\\.')}\\)$`),
  )

  // The quality-bar line gives the spread over 2 runs and the verdict the spread implies.
  const boundMs =
    fluidBound({
      size,
      seederUp: [1_000_000],
      leecherDown: [4_000_000, 4_000_000],
      leecherUp: [1_000_000, 1_000_000],
    }) * 1000
  const ratios = scaling!.runs.map((run) => run.completion! / boundMs)
  const line = r.lines.find((l) => l.startsWith('scaling ours: N=2 completion/T_min'))!
  expect(line).toMatch(
    / = \d+\.\d\d \(\d+\.\d\d–\d+\.\d\d\) over 2 runs \(bar <= 1\.30\) (PASS|MISS|INCONCLUSIVE)$/,
  )
  expect(line.endsWith(verdict(ratios, { max: 1.3 }))).toBe(true)

  const html = await readFile(r.reportPath, 'utf8')
  expect(html).toContain('Repeats: each run of scaling, integrity, churn ran 2 times')
  expect(html).toContain('fastest run')

  // Integrity and churn repeat too: every run of each case, the spread in the table, a verdict over the runs.
  expect(integrity!.runs.map((run) => run.run)).toEqual([
    'integrity/ours/v1 #1',
    'integrity/ours/v1 #2',
    'integrity/ours/v2 #1',
    'integrity/ours/v2 #2',
  ])
  const integrityTable = integrity!.tables[0]!
  expect(integrityTable.title).toContain('median (min–max) of 2 runs')
  for (const row of integrityTable.rows) {
    expect(row[integrityTable.columns.indexOf('bans')]).toBe('banned in 2/2 runs')
    expect(row[integrityTable.columns.indexOf('SHA-256 of final file = original')]).toBe('4/4')
  }
  for (const l of integrity!.lines)
    expect(l).toMatch(/corrupt peer banned in 2\/2 runs: PASS, intact files 4\/4: PASS$/)
  expect(churn!.runs).toHaveLength(6)
  expect(churn!.runs.filter((run) => run.run.endsWith(' #2')).map((run) => run.run)).toEqual([
    'churn/ours/leave=30% #2',
    'churn/ours/leave=60% #2',
    'churn/ours/leave=copy #2',
  ])
  // The seeder leaves once a full copy is out: whoever stays finishes, in both runs.
  expect(churn!.lines.find((l) => l.includes('one full copy out'))).toMatch(
    /: \d+\/\d+ staying leechers finished over 2 runs \(all finished ×2\);.* PASS$/,
  )
  expect(churn!.charts).toHaveLength(3)
})
