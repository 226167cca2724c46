import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { Client, type PieceEvent, readResumeFile, STATE_DIR, type SwarmError } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-client-', { hashThreads: 2 })

describe('Client over a hand-made v1 torrent', () => {
  it('seeder -> two leechers, byte-identical', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'd/a.bin': 300_000, 'd/b.bin': 90_000 })
    const torrent = await v1Torrent(
      'd',
      [
        { path: ['a.bin'], bytes: content.get('d/a.bin')! },
        { path: ['b.bin'], bytes: content.get('d/b.bin')! },
      ],
      32768,
    )
    const seeder = client()
    const st = await seeder.seed(join(src, 'd'), { torrent })
    expect(st.complete).toBe(true)
    const a = client()
    const b = client()
    const da = await dir()
    const db = await dir()
    const ta = await a.add(torrent, { path: da, peers: [local(seeder)] })
    const tb = await b.add(torrent, { path: db, peers: [local(seeder), local(a)] })
    const pieces: PieceEvent[] = []
    ta.on('piece', (e) => pieces.push(e))
    await Promise.all([doneWithin(ta, 30_000, 'a'), doneWithin(tb, 30_000, 'b')])
    expect(await differing(da, content)).toEqual([])
    expect(await differing(db, content)).toEqual([])
    expect(pieces.every((p) => p.ok && p.algorithm === 'sha1')).toBe(true)
    expect(ta.stats().progress).toBe(1)
  })
})

describe('Client edge cases', () => {
  it('works over IPv6 loopback', async (ctx) => {
    const src = await dir()
    const content = await writeContent(src, { 'six.bin': 100_000 })
    const torrent = await v1Torrent(
      'six.bin',
      [{ path: ['six.bin'], bytes: content.get('six.bin')! }],
      16384,
      true,
    )
    const seeder = new Client({ host: '::1', lsd: false })
    onCleanup(() => seeder.close())
    try {
      await seeder.seed(join(src, 'six.bin'), { torrent })
    } catch (err) {
      if (process.env.CI) throw err
      return ctx.skip('no IPv6 loopback here')
    }
    const c = new Client({ host: '::1', lsd: false })
    onCleanup(() => c.close())
    const d = await dir()
    const t = await c.add(torrent, { path: d, peers: [{ host: '::1', port: seeder.port }] })
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('a full disk stops the download with SWARM_STORAGE and leaves a valid resume file', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'full.bin': 200_000 })
    const torrent = await v1Torrent(
      'full.bin',
      [{ path: ['full.bin'], bytes: content.get('full.bin')! }],
      16384,
      true,
    )
    const seeder = client()
    await seeder.seed(join(src, 'full.bin'), { torrent })
    const d = await dir()
    // a /dev/full device node in place of the file (a symlink to /dev/full is not followed)
    execFileSync('mknod', [join(d, 'full.bin'), 'c', '1', '7'])
    const c = new Client({ host: '127.0.0.1', lsd: false })
    const t = await c.add(torrent, { path: d, peers: [local(seeder)] })
    const err = await new Promise<SwarmError>((r) => t.on('error', r))
    expect(err.code).toBe('SWARM_STORAGE')
    expect(t.stats().progress).toBe(0)
    await c.close()
    const resume = await readResumeFile(join(d, STATE_DIR, `${t.infoHash}.resume`), {
      infoHash: t.infoHashBytes,
      pieceCount: t.metainfo!.pieceCount,
      fileCount: 1,
    })
    expect(resume?.have.count()).toBe(0)
  })

  it('does not connect to itself or twice to one peer', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'x.bin': 50_000 })
    const torrent = await v1Torrent('x.bin', [{ path: ['x.bin'], bytes: content.get('x.bin')! }], 16384, true)
    const seeder = client()
    const st = await seeder.seed(join(src, 'x.bin'), { torrent })
    st.addPeer(local(seeder))
    const c = client()
    const t = await c.add(torrent, { path: await dir(), peers: [local(seeder), local(seeder), local(c)] })
    st.addPeer(local(c))
    await doneWithin(t, 20_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(st.stats().peers).toBeLessThanOrEqual(1)
  })
})

describe('PEX', () => {
  it('a leecher that knows one peer learns the others through ut_pex', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'p.bin': 1_000_000 })
    const torrent = await v1Torrent('p.bin', [{ path: ['p.bin'], bytes: content.get('p.bin')! }], 16384, true)
    const seeder = new Client({ host: '127.0.0.1', lsd: false, uploadLimit: 100_000 })
    onCleanup(() => seeder.close())
    await seeder.seed(join(src, 'p.bin'), { torrent })
    const a = client()
    const b = client()
    // Everyone slow, so a still has its connections when c arrives.
    await a.add(torrent, { path: await dir(), peers: [local(seeder)], uploadLimit: 50_000 })
    await b.add(torrent, { path: await dir(), peers: [local(seeder), local(a)], uploadLimit: 50_000 })
    // c only knows a; a tells it about the seeder and b.
    const c = client()
    const tc = await c.add(torrent, { path: await dir(), peers: [local(a)] })
    // What c hears over ut_pex (listeners attach before any connection: dialing starts on a later tick).
    const learned = new Set<number>()
    tc.on('wire', (w) =>
      w.on('pex', (m) => {
        for (const p of m.added) learned.add(p.port)
      }),
    )
    const { waitFor } = await import('@p2p/test-utils')
    // Either may be missing from a's first message (a's own connections may still be opening, and
    // ut_pex sends at most one message a minute), so either one is enough.
    await waitFor(
      () => learned.has(seeder.port) || learned.has(b.port),
      30_000,
      'c to learn the seeder or b over ut_pex',
    )
    // Then c is connected to one of them. Not necessarily by dialing it: the seeder and b hear about c
    // from a at the same time and may connect first (or both sides dial and the duplicate is dropped),
    // so count connections, not outgoing ones to their ports.
    await waitFor(() => tc.stats().peers >= 2, 30_000, 'c connected to a peer learned over PEX')
  })
})
