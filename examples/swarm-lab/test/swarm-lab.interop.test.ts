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
    env: { ...process.env, LAB_SIZE_MIB: '1', LAB_PEERS: '1', LAB_REPEATS: '2', LAB_OUT: dir.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString()
  })
  const [code] = await once(child, 'exit')
  expect(code).toBe(0)
  // our peers (@p2p/swarm) and libtorrent's, each against v1 (SHA-1) and v2 (SHA-256) torrents, two runs
  // each: the corrupt peer's pieces fail their hash, it is banned and the file ends intact in every run
  for (const [impl, v, algo] of [
    ['ours', 'v1', 'sha1'],
    ['ours', 'v2', 'sha256'],
    ['libtorrent', 'v1', 'sha1'],
    ['libtorrent', 'v2', 'sha256'],
  ])
    expect(out).toMatch(
      new RegExp(
        `integrity ${impl} ${v}: [1-9][\\d.]*( \\([\\d.]+–[\\d.]+\\))? failed pieces \\(${algo}\\), corrupt peer banned in 2/2 runs: PASS, intact files 2/2: PASS`,
      ),
    )
  expect(existsSync(`${dir.path}/report.html`)).toBe(true)
})
