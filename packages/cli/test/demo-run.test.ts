import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { tempDir } from '@p2p/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { type DemoCommands, runDemo } from '../src/demo-run.js'
import { createProgressView } from '../src/progress.js'

// Scripted stand-ins for `p2p tracker|seed|download`: they speak the demo's line protocol and
// really copy (or corrupt) the seeder's file, so the orchestration and the integrity check are real.
const IDLE = `process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000);`
const node = (code: string, ...args: string[]) => ({ command: process.execPath, args: ['-e', code, ...args] })

function fakes(seedFile: { path?: string }, corrupt: number[] = []): DemoCommands {
  let n = 0
  return {
    tracker: () => node(`console.log('http://127.0.0.1:6969/announce'); ${IDLE}`),
    seed: (file) => {
      seedFile.path = file
      return node(`console.log('magnet:?xt=urn:btih:' + '0'.repeat(40)); ${IDLE}`)
    },
    download: (_magnet, out) => {
      n++
      const bad = corrupt.includes(n)
      return node(
        `const fs = require('node:fs'); const [src, out, bad] = process.argv.slice(1);
         fs.mkdirSync(out, { recursive: true });
         const bytes = fs.readFileSync(src); if (bad === '1') bytes[7] ^= 1;
         fs.writeFileSync(out + '/demo.bin', bytes);
         console.log(JSON.stringify({ type: 'progress', label: 'demo.bin', progress: 1, downloadSpeed: 5, uploadSpeed: 0, peers: 1, eta: 0 }));`,
        seedFile.path!,
        out,
        bad ? '1' : '0',
      )
    },
  }
}

const dirs: { remove: () => Promise<void> }[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove()
})

async function setup() {
  const d = await tempDir('cli-demo-')
  dirs.push(d)
  const stream = new PassThrough()
  let out = ''
  stream.on('data', (b) => (out += b))
  return { dir: d.path, view: createProgressView({ stream, mode: 'lines', interval: 0 }), out: () => out }
}

describe('runDemo', () => {
  it('runs tracker, seeder and leechers as processes and checks every copy', async () => {
    const s = await setup()
    const r = await runDemo({
      dir: s.dir,
      view: s.view,
      peers: 2,
      size: 3 * 2 ** 20 + 5,
      commands: fakes({}),
    })
    expect(r.ok).toBe(true)
    expect(r.magnet).toMatch(/^magnet:\?xt=urn:btih:/)
    expect(r.integrity.map((i) => [i.label, i.ok, i.files])).toEqual([
      ['leecher-1', true, 1],
      ['leecher-2', true, 1],
    ])
    expect(s.out()).toContain('tracker: http://127.0.0.1:6969/announce')
    expect(s.out()).toContain('leecher-2: 100.0%')
    expect((await readdir(s.dir)).sort()).toEqual(['leecher-1', 'leecher-2', 'seeder'])
  })

  it('fails when one copy differs by one bit', async () => {
    const s = await setup()
    const r = await runDemo({ dir: s.dir, view: s.view, peers: 3, size: 4096, commands: fakes({}, [2]) })
    expect(r.ok).toBe(false)
    expect(r.integrity.map((i) => i.ok)).toEqual([true, false, true])
  })

  it('fails clearly when the seeder never prints a magnet link, and stops the tracker', async () => {
    const s = await setup()
    const commands = { ...fakes({}), seed: () => node('process.exit(5)') }
    await expect(runDemo({ dir: s.dir, view: s.view, size: 10, commands })).rejects.toThrow(
      /seeder exited \(code 5\)/,
    )
  })

  it('stops every process when aborted', async () => {
    const s = await setup()
    const ac = new AbortController()
    let started = 0
    // each hanging leecher records its pid in its output directory, then reports progress
    const hang = `const fs = require('node:fs'); fs.mkdirSync(process.argv[1], { recursive: true });
      fs.writeFileSync(process.argv[1] + '/pid', String(process.pid));
      console.log(JSON.stringify({ type: 'progress', progress: 0.1 })); setInterval(() => {}, 1000)`
    const commands = { ...fakes({}), download: (_m: string, out: string) => node(hang, out) }
    const view = {
      ...s.view,
      update: () => {
        if (++started === 2) ac.abort()
      },
    }
    const run = runDemo({ dir: s.dir, view, peers: 2, size: 10, commands, signal: ac.signal })
    await expect(run).rejects.toThrow()
    for (const n of [1, 2]) {
      const pid = Number(await readFile(join(s.dir, `leecher-${n}`, 'pid'), 'utf8'))
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
    }
  })
})
