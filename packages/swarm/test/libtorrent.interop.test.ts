import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS, freePort, requireComponents } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'
import { startLibtorrent } from './interop-helpers.js'

const { dir, client } = useSession('swarm-lt-')

const FILES = { 'multi/a.bin': 3_000_000, 'multi/dir/b.bin': 2_500_000, 'multi/c.txt': 1234 }

async function v1Content() {
  const src = await dir()
  const content = await writeContent(src, FILES)
  const torrent = await v1Torrent(
    'multi',
    Object.keys(FILES).map((k) => ({ path: k.split('/').slice(1), bytes: content.get(k)! })),
    65536,
  )
  const file = join(await dir(), 'multi.torrent')
  await writeFile(file, torrent)
  return { src, content, torrent, file }
}

describe('libtorrent interop (v1, TCP, plaintext)', () => {
  it('libtorrent seeds to our leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, torrent, file } = await v1Content()
    const lt = await startLibtorrent({ mode: 'seed', torrent: file, save_path: src, port: await freePort() })
    const c = client()
    const d = await dir()
    const t0 = Date.now()
    const t = await c.add(torrent, { path: d, peers: [{ host: '127.0.0.1', port: lt.port }] })
    if (process.env.SWARM_DEBUG) {
      t.on('wire', (w) => {
        console.log('wire', Date.now() - t0)
        for (const ev of ['unchoke', 'choke', 'have-all', 'bitfield', 'reject'] as const)
          w.on(ev, () => console.log(ev, Date.now() - t0))
        w.on('close', (e) => console.log('close', e?.message, Date.now() - t0))
      })
      t.on('piece', (e) => e.index % 10 === 0 && console.log('piece', e.index, Date.now() - t0))
      t.on('warning', (w) => console.log('warn', w.message))
    }
    await doneWithin(t, 60_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('our seeder serves a libtorrent leecher', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, torrent, file } = await v1Content()
    const seeder = client()
    await seeder.seed(join(src, 'multi'), { torrent })
    const d = await dir()
    const lt = await startLibtorrent({
      mode: 'leech',
      torrent: file,
      save_path: d,
      port: await freePort(),
      peers: [`127.0.0.1:${seeder.port}`],
    })
    await lt.done()
    expect(await differing(d, content)).toEqual([])
  })
})

describe('libtorrent interop (v2 and hybrid, magnet, mixed swarm)', () => {
  async function made(version: 2 | 'hybrid') {
    const src = await dir()
    const content = await writeContent(src, FILES)
    const { createTorrent } = await import('@p2p/metainfo')
    const { torrent, metainfo } = await createTorrent(join(src, 'multi'), { version, pieceLength: 65536 })
    const file = join(await dir(), 'multi.torrent')
    await writeFile(file, torrent)
    return { src, content, torrent, metainfo, file }
  }

  for (const version of [2, 'hybrid'] as const) {
    it(`v${version}: libtorrent seeds to us and we seed to libtorrent`, async (ctx) => {
      requireComponents(ctx, COMPONENTS.libtorrent)
      const { src, content, torrent, file } = await made(version)
      const lt = await startLibtorrent({
        mode: 'seed',
        torrent: file,
        save_path: src,
        port: await freePort(),
      })
      const c = client()
      const d = await dir()
      const t = await c.add(torrent, { path: d, peers: [{ host: '127.0.0.1', port: lt.port }] })
      await doneWithin(t, 60_000, 'ours from libtorrent')
      expect(await differing(d, content)).toEqual([])
      await lt.child.stop()
      const d2 = await dir()
      const lt2 = await startLibtorrent({
        mode: 'leech',
        torrent: file,
        save_path: d2,
        port: await freePort(),
        peers: [`127.0.0.1:${c.port}`],
      })
      await lt2.done()
      expect(await differing(d2, content)).toEqual([])
    })
  }

  it('downloads from libtorrent with only a magnet link (info hash)', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, metainfo, file } = await made('hybrid')
    const lt = await startLibtorrent({ mode: 'seed', torrent: file, save_path: src, port: await freePort() })
    const c = client()
    const d = await dir()
    const t = await c.add(`magnet:?xt=urn:btih:${metainfo.infoHash}`, {
      path: d,
      peers: [{ host: '127.0.0.1', port: lt.port }],
    })
    await doneWithin(t, 60_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('mixed swarm: our seeder, a libtorrent leecher and two of our leechers all finish', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, torrent, file } = await made('hybrid')
    const seeder = client()
    await seeder.seed(join(src, 'multi'), { torrent })
    const ours = [client(), client()]
    const dirs = [await dir(), await dir()]
    const ltDir = await dir()
    const lt = await startLibtorrent({
      mode: 'leech',
      torrent: file,
      save_path: ltDir,
      port: await freePort(),
      peers: [`127.0.0.1:${seeder.port}`],
    })
    const ts = await Promise.all(
      ours.map((c, i) =>
        c.add(torrent, {
          path: dirs[i]!,
          peers: [
            { host: '127.0.0.1', port: seeder.port },
            { host: '127.0.0.1', port: lt.port },
            ...(i === 1 ? [{ host: '127.0.0.1', port: ours[0]!.port }] : []),
          ],
        }),
      ),
    )
    await Promise.all([...ts.map((t, i) => doneWithin(t, 60_000, `ours ${i}`)), lt.done()])
    for (const d of [...dirs, ltDir]) expect(await differing(d, content)).toEqual([])
  })
})

describe('libtorrent interop (file priorities)', () => {
  it('downloads by file priority from libtorrent, then a file first skipped', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, torrent, file } = await v1Content()
    const lt = await startLibtorrent({ mode: 'seed', torrent: file, save_path: src, port: await freePort() })
    const c = client()
    const d = await dir()
    // a.bin top, dir/b.bin skipped (its first and last pieces are shared with a.bin and c.txt), c.txt low.
    const t = await c.add(torrent, {
      path: d,
      peers: [{ host: '127.0.0.1', port: lt.port }],
      filePriorities: [7, 0, 1],
    })
    await doneWithin(t, 60_000)
    const only = (k: string) => new Map([[k, content.get(k)!]])
    expect(await differing(d, only('multi/a.bin'))).toEqual([])
    expect(await differing(d, only('multi/c.txt'))).toEqual([])
    expect(await differing(d, only('multi/dir/b.bin'))).toEqual(['multi/dir/b.bin'])
    const again = new Promise<void>((r) => t.once('done', () => r()))
    await t.setFilePriority(1, 4)
    await again
    expect(await differing(d, content)).toEqual([])
  })
})

describe('libtorrent interop (v2-only magnet: piece layers over BEP 52 hash requests)', () => {
  async function v2() {
    const src = await dir()
    const content = await writeContent(src, FILES)
    const { createTorrent } = await import('@p2p/metainfo')
    const { torrent, metainfo } = await createTorrent(join(src, 'multi'), { version: 2, pieceLength: 65536 })
    const file = join(await dir(), 'multi.torrent')
    await writeFile(file, torrent)
    return { src, content, torrent, metainfo, file }
  }

  it('downloads a v2-only multi-piece torrent from libtorrent with only a magnet link', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, metainfo, file } = await v2()
    expect(metainfo.version).toBe(2)
    const lt = await startLibtorrent({ mode: 'seed', torrent: file, save_path: src, port: await freePort() })
    const c = client()
    const d = await dir()
    const { toMagnet } = await import('@p2p/metainfo')
    const magnet = toMagnet(metainfo)
    expect(magnet).toContain('urn:btmh:')
    const t = await c.add(magnet, { path: d, peers: [{ host: '127.0.0.1', port: lt.port }] })
    const algorithms = new Set<string>()
    t.on('piece', (e) => algorithms.add(e.algorithm))
    await doneWithin(t, 60_000)
    expect(await differing(d, content)).toEqual([])
    expect([...algorithms]).toEqual(['sha256'])
    expect(t.metainfo!.pieceLayers.size).toBe(2)
  })

  it('libtorrent downloads a v2-only torrent from our seeder with only a magnet link (our hashes answers)', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const { src, content, torrent } = await v2()
    const seeder = client()
    const st = await seeder.seed(join(src, 'multi'), { torrent })
    let hashRequests = 0
    st.on('wire', (w) => w.on('hash-request', () => hashRequests++))
    const d = await dir()
    const lt = await startLibtorrent({
      mode: 'leech',
      magnet: st.magnetURI,
      save_path: d,
      port: await freePort(),
      peers: [`127.0.0.1:${seeder.port}`],
    })
    await lt.done()
    expect(await differing(d, content)).toEqual([])
    expect(hashRequests).toBeGreaterThan(0)
  })
})
