import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EXIT_CODES, main } from '@p2p/cli'
import { freePort, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs } from './io.js'

const dir = useTempDirs('cli-handoff-')

/** The command line `p2p seed` printed for pasting, split into its arguments. */
function pasted(line: string): string[] {
  const m = /^p2p download '([^']+)'$/.exec(line)
  if (!m) throw new Error(`not a p2p download line: ${line}`)
  return ['download', m[1]!]
}

describe('p2p seed hands off cleanly', () => {
  it('prints listening on ip:port, a magnet with every tracker and x.pe=, and a download line that works as pasted', async () => {
    const src = await dir()
    const data = randomBytes(300_000)
    await writeFile(join(src, 'f.bin'), data)
    const port = await freePort()
    const s = io()
    const tracker = 'http://127.0.0.1:9/announce'
    const seeding = main(
      [
        'seed',
        join(src, 'f.bin'),
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--format',
        'v1',
        '--announce',
        tracker,
      ],
      s.io,
    )
    const magnet = await magnetLine(s.out)
    const lines = s.out().split('\n')
    expect(lines).toContain(`listening on 127.0.0.1:${port}`)
    const params = new URLSearchParams(magnet.slice('magnet:?'.length))
    expect(params.getAll('tr')).toEqual([tracker])
    expect(params.get('x.pe')).toBe(`127.0.0.1:${port}`)
    const line = await waitFor(
      () =>
        s
          .out()
          .split('\n')
          .find((l) => l.startsWith('p2p download ')),
      5_000,
      'line',
    )
    const out = await dir()
    const d = io()
    const code = await main([...pasted(line), '-o', out, '--host', '127.0.0.1'], d.io)
    expect(code).toBe(0)
    expect(Buffer.compare(await readFile(join(out, 'f.bin')), data)).toBe(0)
    s.stop()
    expect(await seeding).toBe(130)
    expect(s.err()).toContain(
      'interrupted: seeding stopped; run the same command again to continue seeding (CLI_INTERRUPTED)',
    )
  })

  it('with --json every stdout line of seed is JSON', async () => {
    const src = await dir()
    await writeFile(join(src, 'f.bin'), randomBytes(50_000))
    const s = io()
    const seeding = main(['seed', join(src, 'f.bin'), '--host', '127.0.0.1', '--json'], s.io)
    const first = await waitFor(() => s.out().split('\n')[0] || undefined, 30_000, 'first line')
    const hand = JSON.parse(first) as { type: string; magnet: string; listening: string; command: string }
    expect(hand.type).toBe('seeding')
    expect(hand.magnet).toMatch(/^magnet:\?/)
    expect(hand.listening).toMatch(/^listening on 127\.0\.0\.1:\d+$/)
    s.stop()
    expect(await seeding).toBe(130)
    for (const l of s.out().split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow()
  })
})

describe('p2p download without a source, and Ctrl-C', () => {
  it('says how to find peers, and Ctrl-C exits 130 saying how to continue', async () => {
    const src = await dir()
    await writeFile(join(src, 'f.bin'), randomBytes(50_000))
    const t = io()
    expect(await main(['create', join(src, 'f.bin'), '-o', join(src, 'f.torrent')], t.io)).toBe(0)
    const d = io()
    // No peer source at all (LSD off too: another test's multicast must not count as one).
    const running = main(
      ['download', join(src, 'f.torrent'), '-o', await dir(), '--no-dht', '--no-lsd', '--host', '127.0.0.1'],
      d.io,
    )
    // The hint comes 5 s after the torrent starts; a loaded machine may take much longer to get there.
    await waitFor(
      () => d.err().includes('no way to find peers: pass --tracker or --peer'),
      80_000,
      'the hint',
    )
    d.stop()
    expect(await running).toBe(130)
    expect(EXIT_CODES.CLI_INTERRUPTED).toBe(130)
    expect(d.err()).toMatch(/interrupted: run the same command again to continue/)
  }, 120_000)
})

describe('p2p --version', () => {
  it('prints the package version', async () => {
    const v = io()
    expect(await main(['--version'], v.io)).toBe(0)
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    expect(v.out().trim()).toBe(pkg.version)
  })
})

describe('sizes with units', () => {
  it('limits and piece lengths take 500k, 2M, 1MiB, 10MB; a bad size is a usage error', async () => {
    const { parseSize } = await import('../src/command.js')
    expect([
      parseSize('500k'),
      parseSize('2M'),
      parseSize('1MiB'),
      parseSize('10MB'),
      parseSize('42'),
    ]).toEqual([512_000, 2 ** 21, 2 ** 20, 10_000_000, 42])
    expect(parseSize('5x')).toBeNaN()
    const src = await dir()
    await writeFile(join(src, 'f.bin'), randomBytes(1000))
    expect(
      await main(
        ['create', join(src, 'f.bin'), '-o', join(src, 'f.torrent'), '--piece-length', '32k'],
        io().io,
      ),
    ).toBe(0)
    const bad = io()
    expect(
      await main(['download', join(src, 'f.torrent'), '-o', src, '--download-limit', '5x'], bad.io),
    ).toBe(2)
    expect(bad.err()).toContain('--download-limit expects a size')
  })
})
