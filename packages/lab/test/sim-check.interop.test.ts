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
  })
  const check = r.results[0]!
  expect(check.runs[0]?.allDone).toBe(true)
  const chart = check.charts.find((c) => c.id === 'sim-check-times')!
  expect(chart.series).toHaveLength(2)
  for (const s of chart.series) {
    expect(s.points).toHaveLength(4)
    // every leecher and the swarm finished, in both
    for (const [, t] of s.points) expect(t).toBeGreaterThan(0)
  }
  expect(check.lines[0]).toMatch(/completion emulated [\d.]+ s, simulated [\d.]+ s: differ by \d+ %/)
})
