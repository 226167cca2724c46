import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { parseTorrent } from '@p2p/metainfo'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { type BanEvent, Client, type PieceEvent, type Torrent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-rel-', { hashThreads: 1 })

async function singleFile(size: number, pieceLength = 16384) {
  const src = await dir()
  const content = await writeContent(src, { 'f.bin': size })
  const torrent = await v1Torrent(
    'f.bin',
    [{ path: ['f.bin'], bytes: content.get('f.bin')! }],
    pieceLength,
    true,
  )
  return { src, content, torrent }
}

/**
 * A peer that claims every piece and answers every request with random bytes, or with the real
 * bytes of `content` (pieces of `pieceLength`) except for the first block it sends.
 */
async function hostilePeer(
  infoHash: Uint8Array,
  pieceCount: number,
  honest?: { content: Uint8Array; pieceLength: number },
): Promise<{ server: Server; port: number }> {
  let sent = 0
  const server = createServer((socket) => {
    const wire = new Wire(socket, { infoHash, peerId: generatePeerId('-EV0001-'), pieceCount })
    wire.on('handshake', () => {
      wire.haveAll()
      wire.unchoke()
    })
    wire.on('interested', () => wire.unchoke())
    wire.on('request', (r) => {
      const at = r.index * (honest?.pieceLength ?? 0) + r.begin
      const real = honest?.content.subarray(at, at + r.length)
      wire.piece(r.index, r.begin, real && sent++ > 0 ? real : randomBytes(r.length))
    })
    wire.on('close', () => {})
    wire.handshake()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  onCleanup(() => new Promise<void>((r) => server.close(() => r())))
  const addr = server.address()
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 }
}

/** Collects a torrent's bans and failed pieces. */
function watch(t: Torrent): { bans: BanEvent[]; failed: PieceEvent[] } {
  const bans: BanEvent[] = []
  const failed: PieceEvent[] = []
  t.on('ban', (b) => bans.push(b))
  t.on('piece', (e) => {
    if (!e.ok) failed.push(e)
  })
  return { bans, failed }
}

describe('reliability', () => {
  it('bans a peer that sends corrupt pieces and still completes correctly', async () => {
    const { src, content, torrent } = await singleFile(500_000)
    const seeder = client({ uploadLimit: 300_000 })
    const st = await seeder.seed(join(src, 'f.bin'), { torrent })
    const evil = await hostilePeer(st.infoHashBytes, st.metainfo!.pieceCount)
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, {
      path: d,
      peers: [{ host: '127.0.0.1', port: evil.port }, local(seeder)],
    })
    const bans: BanEvent[] = []
    const failed: number[] = []
    t.on('ban', (b) => bans.push(b))
    t.on('piece', (e) => {
      if (!e.ok) failed.push(e.index)
    })
    await doneWithin(t, 40_000)
    expect(await differing(d, content)).toEqual([])
    expect(failed.length).toBeGreaterThan(0)
    expect(bans.map((b) => b.peer.port)).toEqual([evil.port])
  })

  it('parole: a peer that shared a bad piece is not banned; the corrupt one is, once a piece of its own fails', async () => {
    // 4-block pieces, a slow honest seeder: early pieces mix blocks of both peers.
    const { src, content, torrent } = await singleFile(1_000_000, 65536)
    const seeder = client({ uploadLimit: 250_000 })
    const st = await seeder.seed(join(src, 'f.bin'), { torrent })
    const evil = await hostilePeer(st.infoHashBytes, st.metainfo!.pieceCount)
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, {
      path: d,
      peers: [local(seeder), { host: '127.0.0.1', port: evil.port }],
    })
    const { bans, failed } = watch(t)
    await doneWithin(t, 40_000)
    expect(await differing(d, content)).toEqual([])
    expect(bans.map((b) => b.peer.port)).toEqual([evil.port])
    // Every failed piece had blocks from the corrupt peer; the last one before the ban it sent alone.
    expect(failed.every((e) => e.peers.some((p) => p.port === evil.port))).toBe(true)
    expect(failed.some((e) => e.peers.length === 1 && e.peers[0]!.port === evil.port)).toBe(true)
  })

  it('one bad piece from a peer that otherwise sends good data puts it on parole, no ban', async () => {
    const { content, torrent } = await singleFile(400_000, 65536)
    const once = await hostilePeer(parseTorrent(torrent).infoHashBytes, Math.ceil(400_000 / 65536), {
      content: content.get('f.bin')!,
      pieceLength: 65536,
    })
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [{ host: '127.0.0.1', port: once.port }] })
    const { bans, failed } = watch(t)
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
    expect(failed).toHaveLength(1)
    expect(bans).toEqual([])
  })

  it('resumes after a stop and re-fetches only unverified pieces', async () => {
    const { src, content, torrent } = await singleFile(1_000_000)
    const seeder = client({ uploadLimit: 500_000 })
    await seeder.seed(join(src, 'f.bin'), { torrent })
    const d = await dir()
    const c1 = new Client({ host: '127.0.0.1', lsd: false })
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)] })
    let verified = 0
    await new Promise<void>((r) =>
      t1.on('piece', (e) => {
        if (e.ok && ++verified === 20) r()
      }),
    )
    await c1.close()
    const c2 = client()
    const t2 = await c2.add(torrent, { path: d, peers: [local(seeder)] })
    expect(t2.stats().progress).toBeGreaterThan(0)
    const fetched: number[] = []
    t2.on('piece', (e) => fetched.push(e.index))
    await doneWithin(t2, 30_000)
    expect(await differing(d, content)).toEqual([])
    expect(fetched.length).toBeLessThanOrEqual(t2.metainfo!.pieceCount - 20)
  })

  it('leechers finish from each other after the only seeder leaves', async () => {
    const { src, content, torrent } = await singleFile(600_000)
    const seeder = new Client({ host: '127.0.0.1', lsd: false })
    onCleanup(() => seeder.close())
    await seeder.seed(join(src, 'f.bin'), { torrent })
    const a = client()
    const da = await dir()
    const ta = await a.add(torrent, { path: da, peers: [local(seeder)] })
    await doneWithin(ta, 30_000, 'a')
    await seeder.close()
    const b = client()
    const db = await dir()
    const tb = await b.add(torrent, { path: db, peers: [local(seeder), local(a)] })
    await doneWithin(tb, 30_000, 'b')
    expect(await differing(db, content)).toEqual([])
  })

  it('once every piece exists among the leechers, they finish from each other without the seeder', async () => {
    const { src, content, torrent } = await singleFile(1_500_000)
    const seeder = new Client({ host: '127.0.0.1', lsd: false, uploadLimit: 400_000 })
    onCleanup(() => seeder.close())
    const st = await seeder.seed(join(src, 'f.bin'), { torrent })
    const n = st.metainfo!.pieceCount
    const a = client()
    const b = client()
    const da = await dir()
    const db = await dir()
    // Slow leecher-to-leecher uploads, so the union is complete well before either copy is.
    const ta = await a.add(torrent, { path: da, peers: [local(seeder)], uploadLimit: 100_000 })
    const tb = await b.add(torrent, { path: db, peers: [local(seeder), local(a)], uploadLimit: 100_000 })
    const have = new Set<number>()
    let seederGone = false
    await new Promise<void>((resolve) => {
      const onPiece = (e: { index: number; ok: boolean }) => {
        if (e.ok) have.add(e.index)
        if (have.size === n && !seederGone) {
          seederGone = true
          resolve()
        }
      }
      ta.on('piece', onPiece)
      tb.on('piece', onPiece)
    })
    await seeder.close()
    expect(ta.complete && tb.complete).toBe(false)
    await Promise.all([doneWithin(ta, 30_000, 'a'), doneWithin(tb, 30_000, 'b')])
    expect(await differing(da, content)).toEqual([])
    expect(await differing(db, content)).toEqual([])
  })

  it('writes nothing outside the target directory for hostile paths', async () => {
    const outer = await dir()
    const d = join(outer, 'inside')
    const bytes = randomBytes(1000)
    const torrent = await v1Torrent(
      '..',
      [
        { path: ['..', '..', 'evil.txt'], bytes },
        { path: ['/etc', 'x'], bytes },
      ],
      16384,
    )
    const c = client()
    const r = await c.add(torrent, { path: d }).then(
      async (t) => {
        await t.destroy()
        return 'added'
      },
      (err: { code: string }) => err.code,
    )
    expect(['added', 'SWARM_BAD_TORRENT', 'SWARM_PATH_TRAVERSAL']).toContain(r)
    const top = await readdir(outer)
    expect(top.filter((n) => n !== 'inside')).toEqual([])
  })
})
