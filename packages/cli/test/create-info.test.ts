import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { main } from '@p2p/cli'
import { parseTorrent } from '@p2p/metainfo'
import { tempDir } from '@p2p/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from './io.js'

describe('p2p create / p2p info', () => {
  let dir: { path: string; remove: () => Promise<void> }
  beforeAll(async () => {
    dir = await tempDir('p2p-cli-create-')
    await mkdir(join(dir.path, 'album', 'disc 1'), { recursive: true })
    await writeFile(join(dir.path, 'album', 'disc 1', 'a.flac'), Buffer.alloc(70_001, 7))
    await writeFile(join(dir.path, 'album', 'cover.jpg'), Buffer.alloc(1000, 3))
  })
  afterAll(() => dir.remove())

  it('creates a hybrid torrent and prints its hashes and magnet', async () => {
    const t = io()
    const out = join(dir.path, 'album.torrent')
    const code = await main(
      [
        'create',
        join(dir.path, 'album'),
        '-o',
        out,
        '--piece-length',
        '16k',
        '--announce',
        'http://127.0.0.1:6969/announce',
        '--no-date',
      ],
      t.io,
    )
    expect(t.err()).not.toMatch(/p2p:/)
    expect(code).toBe(0)
    const m = parseTorrent(await readFile(out))
    expect(m.version).toBe('hybrid')
    expect(m.pieceLength).toBe(16384)
    expect(m.creationDate).toBeUndefined()
    expect(t.out()).toContain(`info hash:   ${m.infoHash}`)
    expect(t.out()).toContain(`info hash 2: ${m.infoHashV2}`)
    expect(t.out()).toMatch(/^magnet:\?xt=urn:btih:/m)
  })

  it('--json gives one result line and JSON progress', async () => {
    const t = io()
    const out = join(dir.path, 'v1.torrent')
    expect(await main(['create', join(dir.path, 'album'), '-o', out, '--format', 'v1', '--json'], t.io)).toBe(
      0,
    )
    const result = JSON.parse(t.out().trim())
    expect(result).toMatchObject({ type: 'created', version: 1, infoHashV2: null, files: 2 })
    const progress = t
      .err()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(progress.at(-1)).toMatchObject({ type: 'progress', progress: 1 })
  })

  it('info shows a torrent as text and JSON', async () => {
    const file = join(dir.path, 'album.torrent')
    const t = io()
    expect(await main(['info', file], t.io)).toBe(0)
    expect(t.out()).toContain('name:         album')
    expect(t.out()).toContain('album/disc 1/a.flac')
    expect(t.out()).not.toContain('[pad]')
    const j = io()
    expect(await main(['info', file, '--json', '--pads'], j.io)).toBe(0)
    const parsed = JSON.parse(j.out())
    expect(parsed.files.some((f: { pad: boolean }) => f.pad)).toBe(true)
    expect(parsed.magnet).toMatch(/^magnet:\?/)
  })

  it('info shows a magnet link', async () => {
    const t = io()
    const hash = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
    expect(await main(['info', `magnet:?xt=urn:btih:${hash}&dn=x&tr=udp%3A%2F%2Ft%3A1`], t.io)).toBe(0)
    expect(t.out()).toContain(`info hash:    ${hash}`)
    expect(t.out()).toContain('tracker:      udp://t:1')
  })

  it.each([
    [['create'], 2, /exactly one file or directory/],
    [['create', 'x', '--piece-length', '1000'], 2, /--piece-length expects a power of two/],
    [['create', 'x', '--format', 'v3'], 2, /--format expects v1, v2 or hybrid/],
    [['create', '/nonexistent/p2p-create'], 3, /METAINFO_IO/],
    [['info'], 2, /one \.torrent file or magnet link/],
    [['info', '/nonexistent/x.torrent'], 3, /cannot read/],
    [['info', 'magnet:?dn=nohash'], 3, /METAINFO_INVALID_MAGNET/],
  ])('%j exits %i with a one-line error', async (argv, exit, message) => {
    const t = io()
    expect(await main(argv, t.io)).toBe(exit)
    expect(t.err()).toMatch(message)
    expect(t.err().trim().split('\n')).toHaveLength(1)
  })

  it('info rejects a hostile torrent with its metainfo code', async () => {
    const bad = join(dir.path, 'bad.torrent')
    await writeFile(bad, 'd4:infod4:name3:../6:lengthi-5eee')
    const t = io()
    expect(await main(['info', bad], t.io)).toBe(3)
    expect(t.err()).toMatch(/METAINFO_/)
  })
})
