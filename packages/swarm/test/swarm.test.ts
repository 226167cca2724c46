import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import type { Client, PieceEvent, Torrent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-it-', { hashThreads: 2 })

const FILES = {
  'content/a.bin': 700_000,
  'content/sub/b.bin': 1_300_000,
  'content/c.bin': 5,
  'content/empty': 0,
}

describe.each([1, 2, 'hybrid'] as const)('in-process swarm (v%s)', (version) => {
  it('one seeder and three leechers end with byte-identical copies', async () => {
    const src = await dir()
    const content = await writeContent(src, FILES)
    const seeder = client()
    const st = await seeder.seed(join(src, 'content'), { version, pieceLength: 32768 })
    expect(st.complete).toBe(true)
    const meta = st.metainfo!
    const leechers: { c: Client; t: Torrent; dir: string; pieces: PieceEvent[] }[] = []
    for (let i = 0; i < 3; i++) {
      const c = client()
      const d = await dir()
      const peers = [local(seeder), ...leechers.map((l) => local(l.c))]
      const t = await c.add(meta, { path: d, peers })
      const pieces: PieceEvent[] = []
      t.on('piece', (e) => pieces.push(e))
      leechers.push({ c, t, dir: d, pieces })
    }
    await Promise.all(leechers.map((l, i) => doneWithin(l.t, 45_000, `leecher ${i}`)))
    for (const l of leechers) {
      expect(await differing(l.dir, content)).toEqual([])
      expect(l.pieces.every((p) => p.ok)).toBe(true)
      expect(l.t.stats().progress).toBe(1)
      expect(l.pieces[0]?.algorithm).toBe(version === 1 ? 'sha1' : 'sha256')
    }
  })
})

describe('swarm features', () => {
  it('downloads from a magnet link (metadata over ut_metadata)', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'm/x.bin': 400_000, 'm/y.bin': 100_000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'm'), { version: 1, pieceLength: 16384 })
    const c = client()
    const d = await dir()
    const t = await c.add(st.magnetURI, { path: d, peers: [local(seeder)] })
    if (process.env.SWARM_DEBUG) t.on('warning', (w) => console.log(w.message, st.magnetURI))
    await doneWithin(t, 30_000)
    expect(t.metainfo?.name).toBe('m')
    expect(await differing(d, content)).toEqual([])
  })

  it('seeds a torrent given with the content (verifying it) and downloads only selected files', async () => {
    const src = await dir()
    const content = await writeContent(src, {
      's/one.bin': 100_000,
      's/two.bin': 100_000,
      's/three.bin': 100_000,
    })
    const { torrent, metainfo: meta } = await createTorrent(join(src, 's'), {
      version: 1,
      pieceLength: 16384,
    })
    const seeder = client()
    const st = await seeder.seed(join(src, 's'), { torrent })
    expect(st.complete).toBe(true)
    const idx = meta.files.findIndex((f) => f.path.join('/') === 's/two.bin')
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [local(seeder)], files: [idx] })
    await doneWithin(t, 30_000)
    expect(await differing(d, new Map([['s/two.bin', content.get('s/two.bin')!]]))).toEqual([])
  })

  it('refuses to add the same torrent twice and bad input', async () => {
    const c = client()
    await expect(c.add(new Uint8Array([1, 2, 3]), { path: await dir() })).rejects.toMatchObject({
      code: 'SWARM_BAD_TORRENT',
    })
    await expect(c.add('magnet:?xt=urn:btih:zz', { path: await dir() })).rejects.toMatchObject({
      code: 'SWARM_BAD_TORRENT',
    })
  })
})
