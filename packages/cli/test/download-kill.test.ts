import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { freePort, requireBuilt, spawnChild, stopAll, tempDir, waitFor } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'
import { magnetLine } from './io.js'

afterAll(stopAll)

/** Progress values of the JSON lines a `p2p download --json` child printed. */
function progress(output: string): number[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; progress?: number })
    .filter((l) => l.type === 'progress')
    .map((l) => l.progress ?? 0)
}

it('p2p download killed with SIGKILL resumes from its verified pieces', async (ctx) => {
  const BIN = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
  const d = await tempDir('cli-kill-')
  try {
    const data = randomBytes(8_000_000)
    await writeFile(join(d.path, 'big.bin'), data)
    const port = await freePort()
    const seeder = spawnChild(process.execPath, [
      BIN,
      'seed',
      join(d.path, 'big.bin'),
      '--v1',
      '--piece-length',
      '32768',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--no-lsd',
      '--upload-limit',
      '400000',
    ])
    const magnet = await magnetLine(() => seeder.output())
    const out = join(d.path, 'out')
    const args = [
      BIN,
      'download',
      magnet,
      '-o',
      out,
      '--peer',
      `127.0.0.1:${port}`,
      '--json',
      '--host',
      '127.0.0.1',
      '--no-lsd',
    ]
    const first = spawnChild(process.execPath, args)
    // Wait for a resume write (every 10 s) after some progress, then kill -9.
    await waitFor(() => progress(first.output()).some((p) => p > 0.1), 30_000, `progress\n${first.output()}`)
    await new Promise((r) => setTimeout(r, 11_000))
    const before = Math.max(...progress(first.output()))
    expect(before).toBeLessThan(1)
    first.proc.kill('SIGKILL')
    await new Promise((r) => first.proc.once('exit', r))
    const second = spawnChild(process.execPath, args)
    const exit = new Promise<number | null>((r) => second.proc.once('exit', (c) => r(c)))
    expect(await exit).toBe(0)
    // The restart began from the pieces verified before the kill (a magnet: 0 until the metadata).
    const resumedAt = progress(second.output()).find((p) => p > 0) ?? 0
    expect(resumedAt).toBeGreaterThanOrEqual(before - 0.15)
    expect(Buffer.compare(await readFile(join(out, 'big.bin')), data)).toBe(0)
    await seeder.stop()
  } finally {
    await d.remove()
  }
})
