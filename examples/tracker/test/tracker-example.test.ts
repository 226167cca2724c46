import { fileURLToPath } from 'node:url'
import { requireBuilt, spawnChild, waitFor } from '@p2p/test-utils'
import { expect, it } from 'vitest'

it('runs a tracker, answers its own announces and stops', async (ctx) => {
  requireBuilt(
    ctx,
    new URL('../../../packages/tracker-server/dist/index.js', import.meta.url),
    '@p2p/tracker-server',
  )
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
  const child = spawnChild(process.execPath, [main, '--self-test'])
  const exit = new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)))
  await waitFor(
    () => child.output().includes('tracker stopped'),
    15_000,
    `the example to finish\n${child.output()}`,
  )
  expect(await exit).toBe(0)
  const out = child.output()
  expect(out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/m)
  expect(out).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/m)
  expect(out).toContain('stats: 1 torrent(s), 1 seeder(s), 1 leecher(s)')
  await child.stop()
})
