import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// Runs the example as a user would, over the built packages (pnpm build first).
it('prints the round trip, an info hash and coded rejections', () => {
  const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
  const run = spawnSync(process.execPath, [main], { encoding: 'utf8', timeout: 30_000 })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(0)
  expect(run.stdout).toContain('round trip: identical bytes')
  expect(run.stdout).toMatch(/info hash [0-9a-f]{40}/)
  expect(run.stdout).toContain('BENCODE_INVALID_INTEGER at byte 0')
  expect(run.stdout).toContain('BENCODE_UNSORTED_KEYS at byte 7')
  expect(run.stdout).toContain('BENCODE_INVALID_LENGTH at byte 0')
  expect(run.stdout).toContain('BENCODE_DEPTH_EXCEEDED at byte 100')
})
