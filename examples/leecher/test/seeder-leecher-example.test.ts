import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { requireBuilt, spawnChild, stopAll, tempDir, waitFor } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

afterAll(stopAll)

it('the seeder example serves the leecher example', async (ctx) => {
  requireBuilt(ctx, new URL('../../../packages/swarm/dist/index.js', import.meta.url), '@p2p/swarm')
  const d = await tempDir('example-swarm-')
  try {
    const data = randomBytes(300_000)
    await writeFile(join(d.path, 'hello.bin'), data)
    const seeder = spawnChild(process.execPath, [
      fileURLToPath(new URL('../../seeder/src/main.mjs', import.meta.url)),
      join(d.path, 'hello.bin'),
    ])
    const magnet = await waitFor(
      () =>
        seeder
          .output()
          .split('\n')
          .find((l) => l.startsWith('magnet:')),
      30_000,
      `the seeder's magnet link\n${seeder.output()}`,
    )
    const port = /on port (\d+)/.exec(
      await waitFor(() => seeder.output().match(/on port \d+/)?.[0], 10_000, 'port'),
    )![1]
    const out = join(d.path, 'out')
    const leecher = spawnChild(process.execPath, [
      fileURLToPath(new URL('../src/main.mjs', import.meta.url)),
      magnet,
      '-o',
      out,
      '--peer',
      `127.0.0.1:${port}`,
    ])
    const exit = new Promise<number | null>((r) => leecher.proc.once('exit', (c) => r(c)))
    await waitFor(() => leecher.output().includes('done:'), 30_000, `the leecher\n${leecher.output()}`)
    expect(await exit).toBe(0)
    expect(leecher.output(), leecher.output()).toMatch(/piece \d+ sha(1|256) ok/)
    expect(Buffer.compare(await readFile(join(out, 'hello.bin')), data)).toBe(0)
    await seeder.stop()
  } finally {
    await d.remove()
  }
})
