import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { COMPONENTS, requireComponents, tempDir } from '@p2p/test-utils'
import { afterAll, expect, it } from 'vitest'

const main = fileURLToPath(new URL('../src/main.mjs', import.meta.url))
const dirs: { remove: () => Promise<void> }[] = []
afterAll(async () => {
  await Promise.all(dirs.map((d) => d.remove()))
})

it('runs the integrity scenario with our peers and libtorrent and prints the checks and the report path', {
  timeout: 120_000,
}, async (ctx) => {
  requireComponents(ctx, COMPONENTS.libtorrent)
  const dir = await tempDir('p2p-example-lab-')
  dirs.push(dir)
  const child = spawn(process.execPath, [main, 'integrity'], {
    env: { ...process.env, LAB_SIZE_MIB: '1', LAB_PEERS: '1', LAB_OUT: dir.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString()
  })
  const [code] = await once(child, 'exit')
  expect(code).toBe(0)
  // our peers (@p2p/swarm) and libtorrent's, each against v1 (SHA-1) and v2 (SHA-256) torrents
  expect(out).toMatch(/integrity ours v1: [1-9]\d* failed pieces \(sha1\), bans: 1, intact files 1\/1/)
  expect(out).toMatch(/integrity ours v2: [1-9]\d* failed pieces \(sha256\), bans: 1, intact files 1\/1/)
  expect(out).toMatch(/integrity libtorrent v1: [1-9]\d* failed pieces \(sha1\), bans: 1, intact files 1\/1/)
  expect(out).toMatch(
    /integrity libtorrent v2: [1-9]\d* failed pieces \(sha256\), bans: 1, intact files 1\/1/,
  )
  expect(existsSync(`${dir.path}/report.html`)).toBe(true)
})
