import { afterEach, describe, expect, it } from 'vitest'
import { DemoPeer, stopPeers } from '../src/demo-peer.js'
import type { ProgressSample } from '../src/progress.js'

const started: DemoPeer[] = []
afterEach(async () => {
  await stopPeers(started.splice(0), 2000)
})

function node(label: string, code: string, opts: ConstructorParameters<typeof DemoPeer>[3] = {}) {
  const p = new DemoPeer(label, process.execPath, ['-e', code], opts)
  started.push(p)
  return p
}

describe('DemoPeer', () => {
  it('turns JSON progress lines into labelled samples and passes other lines on', async () => {
    const samples: ProgressSample[] = []
    const lines: string[] = []
    const p = node(
      'leecher-1',
      `console.log('magnet:?xt=urn:btih:abc');
       console.log(JSON.stringify({type:'progress',label:'x',progress:0.5,downloadSpeed:10,uploadSpeed:1,peers:2,eta:3}));
       console.error('warn');`,
      { onSample: (s) => samples.push(s), onLine: (l, s) => lines.push(`${s}:${l}`) },
    )
    const exit = await p.exited
    expect(exit).toEqual({ code: 0, signal: null })
    expect(samples).toEqual([
      { label: 'leecher-1', progress: 0.5, downloadSpeed: 10, uploadSpeed: 1, peers: 2, eta: 3 },
    ])
    expect(p.lastSample?.progress).toBe(0.5)
    expect(lines.sort()).toEqual(['stderr:warn', 'stdout:magnet:?xt=urn:btih:abc'])
    expect(p.running).toBe(false)
  })

  it('waits for a line, and rejects when the process exits first', async () => {
    const p = node('seeder', `setTimeout(() => console.log('magnet:?xt=1'), 50); setInterval(() => {}, 1000)`)
    const magnet = await p.waitForLine((l) => (l.startsWith('magnet:') ? l : undefined), 10_000)
    expect(magnet).toBe('magnet:?xt=1')
    const q = node('quitter', `process.exit(3)`)
    await expect(q.waitForLine(() => 'x', 10_000)).rejects.toThrow(/quitter exited \(code 3\)/)
  })

  it('stops with SIGINT first, then SIGKILL a process that ignores it', async () => {
    const polite = node(
      'polite',
      `process.on('SIGINT', () => { console.log('bye'); process.exit(0) }); console.log('up'); setInterval(() => {}, 1000)`,
    )
    const stubborn = node(
      'stubborn',
      `process.on('SIGINT', () => {}); console.log('up'); setInterval(() => {}, 1000)`,
    )
    const up = (l: string) => (l === 'up' ? true : undefined)
    // waiters see lines from now on: register both before either child can print
    await Promise.all([polite.waitForLine(up, 10_000), stubborn.waitForLine(up, 10_000)])
    expect(await polite.stop(2000)).toEqual({ code: 0, signal: null })
    expect(await stubborn.stop(300)).toEqual({ code: null, signal: 'SIGKILL' })
  })
})
