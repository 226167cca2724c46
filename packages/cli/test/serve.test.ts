import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { freePort, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, magnetLine, useTempDirs } from './io.js'

const dir = useTempDirs('cli-serve-')

describe('p2p serve', () => {
  it('serves a magnet link over HTTP from a seed: prints where, lists the files, answers ranges', async () => {
    const src = await dir()
    const data = randomBytes(600_000)
    await writeFile(join(src, 'movie.webm'), data)
    const port = await freePort()
    const s = io()
    const seeding = main(
      ['seed', join(src, 'movie.webm'), '--v1', '--port', String(port), '--host', '127.0.0.1'],
      s.io,
    )
    const magnet = await magnetLine(s.out)
    const v = io()
    const serving = main(['serve', magnet, '-o', await dir(), '--peer', `127.0.0.1:${port}`, '--json'], v.io)
    const lines = () =>
      v
        .out()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type?: string; url?: string; path?: string })
    const base = await waitFor(() => lines().find((l) => l.type === 'serving')?.url, 30_000, 'serving line')
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const fileUrl = await waitFor(() => lines().find((l) => l.type === 'file')?.url, 30_000, 'file line')
    const index = (await (await fetch(new URL('index.json', base))).json()) as {
      torrents: { files: { path: string; url: string }[] }[]
    }
    expect(index.torrents[0]!.files.map((f) => new URL(f.url, base).href)).toEqual([fileUrl])
    const res = await fetch(fileUrl, { headers: { Range: 'bytes=100000-199999' } })
    expect(res.status).toBe(206)
    expect(res.headers.get('content-type')).toBe('video/webm')
    expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(100_000, 200_000))).toBe(true)
    const whole = Buffer.from(await (await fetch(fileUrl)).arrayBuffer())
    expect(whole.equals(data)).toBe(true)
    v.stop()
    s.stop()
    expect(await serving).toBe(130)
    expect(v.err()).toMatch(/interrupted: serving stopped; run the same command again to continue/)
    expect(await seeding).toBe(130)
  })

  it('without a torrent is a usage error (exit 2)', async () => {
    const a = io()
    expect(await main(['serve'], a.io)).toBe(2)
    expect(a.err()).toMatch(/p2p serve needs exactly one torrent/)
  })
})
