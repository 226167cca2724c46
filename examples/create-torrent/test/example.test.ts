import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTorrent } from '@p2p/metainfo'
import { afterAll, expect, it } from 'vitest'

// Runs the example as a user would, over the built packages (pnpm build first).
const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'example-create-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('creates a hybrid torrent whose printed hashes are those of the written file', () => {
  const content = join(dir, 'hello.bin')
  writeFileSync(content, Buffer.alloc(100_000, 7))
  const out = join(dir, 'hello.torrent')
  const run = spawnSync(process.execPath, [main, content, out, '--announce', 'http://127.0.0.1:1/announce'], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(0)
  const meta = parseTorrent(readFileSync(out))
  expect(meta.version).toBe('hybrid')
  expect(run.stdout).toContain(`info hash v1 ${meta.infoHash}`)
  expect(run.stdout).toContain(`info hash v2 ${meta.infoHashV2}`)
  expect(run.stdout).toContain('hashing 100%')
  expect(run.stdout).toMatch(/^magnet:\?xt=urn:btih:/m)
})

it('exits 3 with a coded error for a path that does not exist', () => {
  const run = spawnSync(process.execPath, [main, join(dir, 'missing')], { encoding: 'utf8', timeout: 30_000 })
  expect(run.status).toBe(3)
  expect(run.stderr).toMatch(/^error METAINFO_[A-Z_]+: /)
})
