import { randomBytes } from 'node:crypto'
import { open, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { createTorrent } from '@p2p/metainfo'
import { freePort, waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { io, useTempDirs } from './io.js'

const dir = useTempDirs('cli-resume-trust-')

describe('pieces from the resume data are not called verified', () => {
  it('a file changed behind an unchanged size and mtime: no "verified" claim, and --recheck repairs it', async () => {
    const src = await dir()
    const data = randomBytes(512 * 16384)
    await writeFile(join(src, 'file.bin'), data)
    const { torrent } = await createTorrent(join(src, 'file.bin'), { version: 1, pieceLength: 16384 })
    const torrentFile = join(await dir(), 'file.torrent')
    await writeFile(torrentFile, torrent)
    const port = await freePort()
    const s = io()
    const seeding = main(
      [
        'seed',
        join(src, 'file.bin'),
        '--torrent',
        torrentFile,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--no-lsd',
      ],
      s.io,
    )
    await waitFor(() => s.out().includes('magnet:'), 30_000, 'seeder ready')
    const peer = ['--peer', `127.0.0.1:${port}`, '--host', '127.0.0.1', '--no-lsd']
    const out = await dir()
    expect(await main(['download', torrentFile, '-o', out, ...peer], io().io)).toBe(0)

    // 378 of 512 pieces overwritten, size and mtime put back
    const path = join(out, 'file.bin')
    const before = await stat(path)
    const h = await open(path, 'r+')
    await h.write(Buffer.alloc(378 * 16384, 0xee), 0, 378 * 16384, 0)
    await h.close()
    // mid-millisecond: a Date's seconds as a double can land just below the millisecond
    const ms = Math.floor(before.mtimeMs) + 0.5
    await utimes(path, ms / 1000, ms / 1000)

    const trusted = io()
    expect(
      await main(['download', torrentFile, '-o', out, '--host', '127.0.0.1', '--no-lsd'], trusted.io),
    ).toBe(0)
    expect(trusted.err()).not.toMatch(/verified/)
    expect(trusted.err()).toMatch(/512 pieces taken from the resume data without hashing/)

    const rechecked = io()
    expect(await main(['download', torrentFile, '-o', out, '--recheck', ...peer], rechecked.io)).toBe(0)
    expect(rechecked.err()).toMatch(/complete and verified/)
    expect(Buffer.compare(await readFile(path), data)).toBe(0)
    s.stop()
    expect(await seeding).toBe(130)
  })
})
