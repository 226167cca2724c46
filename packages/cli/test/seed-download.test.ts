import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { freePort } from '@p2p/test-utils'
import { type AnnounceInfo, createTrackerServer } from '@p2p/tracker-server'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs } from './io.js'

const dir = useTempDirs('cli-swarm-')

describe('p2p seed / p2p download', () => {
  it('seeds a file and downloads it from the magnet link, JSON progress on stdout', async () => {
    const src = await dir()
    const data = randomBytes(700_000)
    await writeFile(join(src, 'file.bin'), data)
    const port = await freePort()
    const s = io()
    const seeding = main(
      ['seed', join(src, 'file.bin'), '--port', String(port), '--host', '127.0.0.1', '--no-lsd', '--v1'],
      s.io,
    )
    const magnet = await magnetLine(s.out)
    const out = await dir()
    const d = io()
    const code = await main(
      [
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
      ],
      d.io,
    )
    expect(code).toBe(0)
    expect(Buffer.compare(await readFile(join(out, 'file.bin')), data)).toBe(0)
    const lines = d
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; progress?: number })
    expect(lines.some((l) => l.type === 'progress' && l.progress === 1)).toBe(true)
    s.stop()
    expect(await seeding).toBe(130)
  })

  it('a download that exits on completion tells the tracker completed, then stopped', async () => {
    const tracker = createTrackerServer({ host: '127.0.0.1', httpPort: 0 })
    const { httpUrl } = await tracker.listen()
    const seen: AnnounceInfo[] = []
    tracker.on('announce', (a) => seen.push(a))
    try {
      const src = await dir()
      await writeFile(join(src, 'file.bin'), randomBytes(300_000))
      const s = io()
      const seeding = main(
        [
          'seed',
          join(src, 'file.bin'),
          '--tracker',
          httpUrl!,
          '--port',
          String(await freePort()),
          '--host',
          '127.0.0.1',
          '--no-lsd',
        ],
        s.io,
      )
      const magnet = await magnetLine(s.out)
      const d = io()
      expect(
        await main(['download', magnet, '-o', await dir(), '--host', '127.0.0.1', '--no-lsd'], d.io),
      ).toBe(0)
      s.stop()
      expect(await seeding).toBe(130)
      const leecher = seen.filter((a) => a.event !== 'none' && a.left > 0n)[0]!.peerId
      const events = seen.filter((a) => Buffer.compare(a.peerId, leecher) === 0).map((a) => a.event)
      expect(events.filter((e) => e !== 'none')).toEqual(['started', 'completed', 'stopped'])
    } finally {
      await tracker.close()
    }
  })

  it('reports bad arguments and bad input with their exit codes', async () => {
    const a = io()
    expect(await main(['download'], a.io)).toBe(2)
    expect(a.err()).toMatch(/CLI_USAGE/)
    const b = io()
    expect(await main(['download', join(await dir(), 'missing.torrent')], b.io)).toBe(3)
    const c = io()
    const bad = join(await dir(), 'bad.torrent')
    await writeFile(bad, 'not a torrent')
    expect(await main(['download', bad, '-o', await dir()], c.io)).toBe(3)
    expect(c.err()).toMatch(/SWARM_BAD_TORRENT/)
    const d = io()
    expect(await main(['seed'], d.io)).toBe(2)
    const e = io()
    expect(await main(['download', 'x.torrent', '--peer', 'nonsense'], e.io)).toBe(2)
    const f = io()
    const refused = 'http://127.0.0.1:1/announce'
    const magnet = `magnet:?xt=urn:btih:${'ab'.repeat(20)}&tr=${encodeURIComponent(refused)}`
    expect(await main(['download', magnet, '-o', await dir(), '--host', '127.0.0.1', '--no-lsd'], f.io)).toBe(
      4,
    )
    expect(f.err()).toMatch(/CLI_UNREACHABLE/)
  })
})
