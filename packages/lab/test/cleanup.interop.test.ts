import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { listLabResources, runLab } from '@p2p/lab'
import { COMPONENTS, requireComponents, tempDir, waitFor } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'
import { execQuiet } from '../src/exec.js'

const cli = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))
const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

/** Processes whose command line mentions `needle` (the lab's peers run from its temp dir). */
async function processesMentioning(needle: string): Promise<string[]> {
  const ps = await execQuiet('ps', ['-eo', 'pid,args'])
  return ps.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'))
}

function needRoot(ctx: { skip: (note?: string) => void }): void {
  if (process.getuid?.() === 0) return
  if (process.env.CI) throw new Error('the cleanup test needs root in CI')
  ctx.skip('network namespaces need root')
}

it('leaves no namespace, link, qdisc or process behind after Ctrl-C', { timeout: 120_000 }, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  needRoot(ctx)
  const dir = await tempDir('p2p-lab-sigint-')
  dirs.push(dir)
  const child = spawn(
    process.execPath,
    [
      cli,
      'lab',
      '--scenario',
      'scaling',
      '--peers',
      '3',
      '--repeats',
      '1',
      '--size',
      '32MiB',
      '--up',
      '4',
      '--out',
      `${dir.path}/out`,
    ],
    { stdio: 'ignore' },
  )
  const exited = once(child, 'exit')
  const owned = (n: string) =>
    n.includes(`-${child.pid!.toString(36)}-`) || n.startsWith(`p2pl${child.pid!.toString(36)}-`)
  await waitFor(
    async () => (await listLabResources()).namespaces.filter(owned).length >= 3,
    60_000,
    'the lab hosts',
  )
  await waitFor(
    async () =>
      (await processesMentioning(dir.path)).some(
        (l) => l.includes('peer-runner.js') || l.includes('libtorrent_peer.py'),
      ),
    30_000,
    'peers running',
  )
  child.kill('SIGINT')
  const [code] = await exited
  expect(code).toBe(130)
  const left = await listLabResources()
  expect(left.namespaces.filter(owned)).toEqual([])
  expect(left.links.filter(owned)).toEqual([])
  expect(await processesMentioning(dir.path)).toEqual([])
  expect((await execQuiet('tc', ['qdisc', 'show'])).stdout).not.toMatch(/p2pl/)
})

it('cleans up after a failing run and removes what a crashed run left', { timeout: 120_000 }, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  needRoot(ctx)
  const dir = await tempDir('p2p-lab-fail-')
  dirs.push(dir)
  // A run aborted mid-way throws and must still remove its namespaces and peers.
  const abort = new AbortController()
  const running = runLab({
    scenarios: ['scaling'],
    peers: [3],
    repeats: 1,
    size: 16 * 2 ** 20,
    up: 500_000,
    out: `${dir.path}/out`,
    network: 'netns',
    signal: abort.signal,
  })
  await waitFor(async () => (await processesMentioning(dir.path)).length >= 3, 60_000, 'peers running')
  abort.abort(new Error('simulated failure'))
  await expect(running).rejects.toThrow()
  expect(await listLabResources()).toEqual({ namespaces: [], links: [] })
  expect(await processesMentioning(dir.path)).toEqual([])
  // A namespace and bridge of a dead owner (pid 1 is init and alive: use a pid that cannot exist).
  const dead = (4194303).toString(36)
  await execQuiet('ip', ['netns', 'add', `p2plab-${dead}-h0`])
  await execQuiet('ip', ['link', 'add', `p2pl${dead}-br`, 'type', 'bridge'])
  await runLab({
    scenarios: ['integrity'],
    peers: [1],
    repeats: 1,
    size: 256 * 1024,
    out: `${dir.path}/out2`,
    network: 'netns',
  })
  expect(await listLabResources()).toEqual({ namespaces: [], links: [] })
})
