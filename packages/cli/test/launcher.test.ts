import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { requireBuilt, spawnChild, tempDir } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { trackerUrls } from './io.js'

describe('the p2p executable (dist/bin.js, a sh launcher that is also JavaScript)', () => {
  it('runs node with its startup flags when executed, and still runs as `node bin.js`', async (ctx) => {
    const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
    const tmp = await tempDir()
    ctx.onTestFinished(() => tmp.remove())
    const dir = tmp.path
    const preload = join(dir, 'argv.cjs')
    const out = join(dir, 'argv.json')
    await writeFile(
      preload,
      `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.execArgv))\n`,
    )
    const version = execFileSync(bin, ['--version'], {
      env: { ...process.env, NODE_OPTIONS: `--require ${preload}` },
      encoding: 'utf8',
    })
    expect(JSON.parse(await readFile(out, 'utf8'))).toContain('--no-concurrent-recompilation')
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/)
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' })).toBe(version)
  })

  it('is the node process itself (the shell execs it): SIGINT stops it cleanly', async (ctx) => {
    const bin = requireBuilt(ctx, new URL('../dist/bin.js', import.meta.url), '@p2p/cli')
    const child = spawnChild(bin, ['tracker', '--host', '127.0.0.1'])
    await trackerUrls(child, 15_000)
    const exited = new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)))
    process.kill(child.proc.pid!, 'SIGINT')
    expect(await exited).toBe(130)
    await child.stop()
  })
})
