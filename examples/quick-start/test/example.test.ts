import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { requireBuilt, spawnChild, stopAll } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

afterAll(stopAll)

it("the README's quick start runs: a tracker, a seeder and a downloader, every piece verified", async (ctx) => {
  requireBuilt(ctx, new URL('../../../packages/swarm/dist/index.js', import.meta.url), '@p2p/swarm')
  const child = spawnChild(process.execPath, [fileURLToPath(new URL('../src/main.mjs', import.meta.url))])
  const code = await new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)))
  const out = child.output()
  expect(code, out).toBe(0)
  expect(out).toContain('done: hello.bin, 4194304 bytes')
  // 4 MiB in pieces of the default length, each reported once and verified
  const pieces = out.split('\n').filter((l) => /^piece \d+ sha(1|256) ok$/.test(l))
  expect(pieces.length).toBeGreaterThan(0)
  expect(out).not.toContain('BAD')
})

it('is the code the README shows (from the first import on)', () => {
  const code = readFileSync(new URL('../src/main.mjs', import.meta.url), 'utf8')
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
  expect(readme).toContain(`\`\`\`js\n${code.slice(code.indexOf('import '))}\`\`\``)
})
