import { readFile } from 'node:fs/promises'
import { runLab } from '@p2p/lab'
import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('trackerless and tracker-dies: peers find each other through the DHT alone (loopback, 3 leechers)', {
  timeout: 300_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  const dir = await tempDir('p2p-lab-dht-')
  dirs.push(dir)
  const r = await runLab({
    scenarios: ['trackerless', 'tracker-dies'],
    peers: [3],
    repeats: 1,
    size: 1 << 20,
    up: 1_000_000,
    down: 4_000_000,
    out: `${dir.path}/out`,
    network: 'loopback',
    impls: ['ours', 'libtorrent'],
    onNote: (l) => console.log(l),
  })
  console.log(r.lines.join('\n'))
  const [trackerless, trackerDies] = r.results
  expect(trackerless!.runs.map((run) => run.run)).toEqual([
    'trackerless/ours/tracker',
    'trackerless/ours/dht',
    'trackerless/libtorrent/tracker',
    'trackerless/libtorrent/dht',
  ])
  const events = (await readFile(r.eventsPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const run of trackerless!.runs) {
    expect(run.allDone, JSON.stringify(run.peers)).toBe(true)
    expect(run.peers.every((p) => p.intact !== false)).toBe(true)
    const announces = events.filter((e) => e.run === run.run && e.type === 'announce')
    if (run.run.endsWith('/dht')) {
      // No tracker at all in the DHT run: nobody announced anywhere but in the DHT.
      expect(run.discovery).toBe('dht')
      expect(announces).toEqual([])
      expect(events.some((e) => e.run === run.run && e.type === 'tracker-start')).toBe(false)
      expect(events.some((e) => e.run === run.run && e.type === 'dht-start')).toBe(true)
    } else expect(announces.length).toBeGreaterThan(0)
  }
  expect(trackerDies!.runs.map((run) => run.run)).toEqual([
    'tracker-dies/ours/dht',
    'tracker-dies/ours/no-dht',
    'tracker-dies/libtorrent/dht',
    'tracker-dies/libtorrent/no-dht',
  ])
  for (const run of trackerDies!.runs) {
    expect(run.trackerDiedAt).toBeDefined()
    const late = run.peers.filter((p) => p.role === 'leecher' && Number(p.name.slice(1)) >= 2)
    expect(late.length).toBe(1)
    // Late leechers start after the tracker was killed.
    for (const p of late) expect(p.startAt).toBeGreaterThanOrEqual(run.trackerDiedAt!)
    const done = late.map((p) => `${p.name}: ${p.doneAt !== undefined}`)
    expect(done).toEqual(late.map((p) => `${p.name}: ${run.dht}`))
  }
  expect(r.lines.filter((l) => l.includes('MISS'))).toEqual([])
  const html = await readFile(r.reportPath, 'utf8')
  expect(html).toContain('How does the system work without a central server?')
  expect(html).toContain('What happens when the tracker dies mid-download?')
})
