import { netnsSupported, runLab } from '@p2p/lab'
import { tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('runs the same swarm emulated and simulated and charts both', { timeout: 300_000 }, async () => {
  const dir = await tempDir('p2p-lab-simcheck-')
  dirs.push(dir)
  const r = await runLab({
    scenarios: ['sim-check'],
    peers: [3],
    size: 2 * 2 ** 20,
    up: 2_000_000,
    down: 5_000_000,
    impls: ['ours'],
    network: (await netnsSupported()) ? 'netns' : 'loopback',
    out: `${dir.path}/out`,
    pdf: false,
    timeoutScale: 2,
    repeats: 1,
  })
  const check = r.results[0]!
  expect(check.runs[0]?.allDone).toBe(true)
  // Both CDFs on one chart: every leecher finished, emulated and simulated.
  const cdf = check.charts.find((c) => c.id === 'sim-check-cdf')!
  expect(cdf.series.map((s) => s.name)).toEqual([`emulated (${r.mode}) N=3`, 'simulated N=3'])
  for (const s of cdf.series) {
    expect(s.points).toHaveLength(3)
    expect(s.points.at(-1)?.[1]).toBe(100)
    for (const [t] of s.points) expect(t).toBeGreaterThan(0)
  }
  // Both sides say how much the seeder sent, in copies of the file (it was the only source).
  const table = check.tables[0]!
  const copies = table.columns.indexOf('seeder upload (copies of the file)')
  expect(copies).toBeGreaterThan(0)
  for (const row of table.rows) expect(Number.parseFloat(String(row[copies]))).toBeGreaterThan(0.5)
  const times = check.charts.find((c) => c.id === 'sim-check-times')!
  expect(times.series.map((s) => s.name)).toEqual(['emulated', 'simulated'])
  for (const s of times.series) expect(s.points[0]![1]).toBeGreaterThan(0)
  expect(check.lines[0]).toMatch(
    /^sim-check N=3: median leecher download emulated [\d.]+ s, simulated [\d.]+ s; \|simulated − emulated\| \/ emulated = \d+\.\d\d over 1 run \(bar <= 0\.25\) (PASS|MISS)$/,
  )
})
