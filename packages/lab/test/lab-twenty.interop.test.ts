import { readFile } from 'node:fs/promises'
import { listLabResources, runLab } from '@p2p/lab'
import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'
import { ownerOf } from '../src/names.js'

const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

const SIZE = 256 * 1024
/** 16 KiB pieces (see pieceLengthFor): the cost is starting 42 peer processes, not the transfer. */
const PIECES = SIZE / (16 * 1024)

it('runs 20 leechers (ours, then libtorrent) on network namespaces: every one ends with the whole file', {
  timeout: 300_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the netns lab test needs root in CI')
    ctx.skip('network namespaces need root')
  }
  const dir = await tempDir('p2p-lab-twenty-')
  dirs.push(dir)
  const r = await runLab({
    scenarios: ['scaling'],
    peers: [20],
    repeats: 1,
    size: SIZE,
    out: `${dir.path}/out`,
    network: 'netns',
    impls: ['ours', 'libtorrent'],
    timeoutScale: 3,
    pdf: false,
  })
  const runs = r.results[0]!.runs
  expect(runs.map((run) => run.run)).toEqual(['scaling/ours/N=20', 'scaling/libtorrent/N=20'])
  const events = (await readFile(r.eventsPath, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  for (const run of runs) {
    const leechers = run.peers.filter((p) => p.role === 'leecher')
    expect(leechers).toHaveLength(20)
    // Each leecher finished, its file hashes to the original, and it verified every piece itself.
    expect(
      leechers.map((p) => `${p.name}: done ${p.doneAt !== undefined}, intact ${p.intact}`),
      run.run,
    ).toEqual(leechers.map((p) => `${p.name}: done true, intact true`))
    for (const p of leechers) {
      const verified = new Set(
        events
          .filter((e) => e.run === run.run && e.peer === p.name && e.type === 'piece' && e.ok === true)
          .map((e) => e.index),
      )
      expect(verified.size, `${run.run} ${p.name}`).toBe(PIECES)
    }
    // Each peer's own CPU time and memory were read before it stopped.
    for (const p of run.peers) expect(p.cpuMs, `${run.run} ${p.name}`).toBeGreaterThan(0)
  }
  // Nothing of this process's lab is left (other labs on the machine may be running).
  const left = await listLabResources()
  expect([...left.namespaces, ...left.links].filter((n) => ownerOf(n) === process.pid)).toEqual([])
})
