import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import { allowedFastSet } from '@p2p/peer-wire'
import { Bitfield, type PieceEvent, PiecePicker, Storage, SwarmError } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-prio-', { hashThreads: 2 })

const bits = (n: number, ones: number[]) => {
  const b = new Bitfield(n)
  for (const i of ones) b.set(i)
  return b
}

/** low.bin, skip.bin and top.bin, not aligned to pieces (pieces span two files), seeded by a client of ours. */
async function threeFiles() {
  const src = await dir()
  const content = await writeContent(src, { 'q/low.bin': 150_000, 'q/skip.bin': 70_000, 'q/top.bin': 90_000 })
  const { torrent, metainfo: meta } = await createTorrent(join(src, 'q'), { version: 1, pieceLength: 16384 })
  const index = (name: string) => meta.files.findIndex((f) => f.path.join('/') === `q/${name}`)
  const seeder = client()
  const st = await seeder.seed(join(src, 'q'), { torrent })
  return { content, torrent, meta, index, seeder, st }
}

describe('PiecePicker priorities', () => {
  it('starts higher-priority pieces first, rarest among equals, and never priority 0', () => {
    const p = new PiecePicker({ pieceCount: 6, pieceLength: () => 16384, randomFirst: 0 })
    p.addAvailability(bits(6, [0, 1, 2, 3, 4, 5]))
    p.addAvailability(bits(6, [0, 1, 2, 3, 5]))
    p.setPriority(4, 7) // the rarest, and top priority
    p.setPriority(1, 6)
    p.setPriority(3, 6)
    p.addHave(3) // 3 is now more common than 1
    p.setPriority(0, 0)
    expect(p.priority(4)).toBe(7)
    expect(p.isWanted(0)).toBe(false)
    const order = p.pick('a', 'all', 6).map((r) => r.index)
    expect(order).toEqual([4, 1, 3, expect.any(Number), expect.any(Number)])
    expect(new Set(order.slice(3))).toEqual(new Set([2, 5]))
  })

  it('keeps priorities in sequential mode and clamps bad values', () => {
    const p = new PiecePicker({ pieceCount: 5, pieceLength: () => 16384, strategy: 'sequential' })
    p.setPriority(3, 5)
    p.setPriority(4, 5)
    p.setPriority(2, 99)
    expect(p.priority(2)).toBe(7)
    p.setPriority(2, 1)
    expect(p.pick('a', 'all', 5).map((r) => r.index)).toEqual([3, 4, 0, 1, 2])
    p.setPriority(0, 0)
    expect(p.priority(0)).toBe(0)
    p.setPriority(0, 4)
    expect(p.priority(0)).toBe(4)
  })
})

describe('Storage select / deselect', () => {
  const files = [
    { path: ['a'], length: 10, offset: 0 },
    { path: ['b'], length: 10, offset: 10 },
    { path: ['c'], length: 10, offset: 20 },
  ]
  const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 5) & 0xff)

  it('moves a file out of the part file when it becomes wanted', async () => {
    const d = await dir()
    const s = new Storage({ dir: d, files, selected: [true, false, true], partFile: join(d, '.parts') })
    const data = bytes(30)
    await s.write(0, data)
    expect(existsSync(join(d, 'b'))).toBe(false)
    // Only the ranges named are copied (here: the one "piece" 5..15 we have, then 15..25).
    await s.select(1, [
      { offset: 5, length: 10 },
      { offset: 15, length: 10 },
    ])
    expect(s.isSelected(1)).toBe(true)
    expect(await s.read(0, 30)).toEqual(data)
    await s.close()
    expect(new Uint8Array(await readFile(join(d, 'b')))).toEqual(data.subarray(10, 20))
  })

  it('keeps using a file that exists when it is no longer wanted (as libtorrent), else the part file', async () => {
    const d = await dir()
    const s = new Storage({ dir: d, files, partFile: join(d, '.parts') })
    await s.write(0, bytes(12)) // touches a and b
    expect(await s.deselect(1)).toBe(false)
    expect(s.isSelected(1)).toBe(true)
    expect(await s.deselect(2)).toBe(true)
    expect(s.isSelected(2)).toBe(false)
    await s.write(20, bytes(10))
    expect(existsSync(join(d, 'c'))).toBe(false)
    expect(await s.read(20, 10)).toEqual(bytes(10))
    await s.close()
  })
})

describe('file priorities in a swarm', () => {
  it('rejects bad priorities and indexes with SWARM_INVALID_ARGUMENT', async () => {
    const src = await dir()
    await writeContent(src, { 'p/a.bin': 40_000, 'p/b.bin': 40_000 })
    const c = client()
    const t = await c.seed(join(src, 'p'), { version: 1, pieceLength: 16384 })
    expect(t.filePriorities).toEqual([4, 4])
    for (const [i, p] of [
      [0, 8],
      [0, -1],
      [0, 1.5],
      [2, 4],
      [-1, 4],
    ] as const) {
      await expect(t.setFilePriority(i, p)).rejects.toSatisfy(
        (e) => e instanceof SwarmError && e.code === 'SWARM_INVALID_ARGUMENT',
      )
    }
    await expect(client().add(t.metainfo!, { path: await dir(), filePriorities: [9, 4] })).rejects.toThrow(
      /priority/,
    )
  })

  it('fetches top-priority files first, skips priority 0, then downloads a skipped file when asked', async () => {
    const { content, torrent, meta, index, seeder, st } = await threeFiles()
    // The order the seeder is asked for pieces (first request of each) is the order we picked them.
    const asked: number[] = []
    st.on('wire', (w) => w.on('request', (r) => asked.includes(r.index) || asked.push(r.index)))
    const c = client()
    const d = await dir()
    const prios = meta.files.map(() => 1)
    prios[index('skip.bin')] = 0
    prios[index('top.bin')] = 7
    const t = await c.add(torrent, { path: d, peers: [local(seeder)], filePriorities: prios })
    const pieces: PieceEvent[] = []
    t.on('piece', (e) => pieces.push(e))
    await doneWithin(t, 30_000)
    expect(t.filePriorities).toEqual(prios)
    const want = (name: string) => new Map([[`q/${name}`, content.get(`q/${name}`)!]])
    expect(await differing(d, want('low.bin'))).toEqual([])
    expect(await differing(d, want('top.bin'))).toEqual([])
    expect(existsSync(join(d, 'q', 'skip.bin'))).toBe(false)
    // Only pieces touching a wanted file were fetched, top.bin's before any piece only low.bin has.
    const piecesOf = (name: string) => {
      const f = meta.files[index(name)]!
      const out: number[] = []
      for (let i = Math.floor(f.offset / 16384); i * 16384 < f.offset + f.length; i++) out.push(i)
      return out
    }
    const skipOnly = piecesOf('skip.bin').filter(
      (i) => !piecesOf('low.bin').includes(i) && !piecesOf('top.bin').includes(i),
    )
    expect(pieces.some((p) => skipOnly.includes(p.index))).toBe(false)
    // Pieces in the allowed-fast set the seeder gives us (BEP 6) may be fetched first while choked.
    const fast = new Set(allowedFastSet('127.0.0.1', t.infoHashBytes, meta.pieceCount, 10))
    const lowOnly = piecesOf('low.bin').filter((i) => !piecesOf('skip.bin').includes(i) && !fast.has(i))
    const lastTop = Math.max(
      ...piecesOf('top.bin')
        .filter((i) => !fast.has(i))
        .map((i) => asked.indexOf(i)),
    )
    const firstLow = Math.min(...lowOnly.map((i) => asked.indexOf(i)))
    expect(firstLow).toBeGreaterThanOrEqual(0)
    expect(lastTop).toBeLessThan(firstLow)

    // Now want the skipped file: the bytes of boundary pieces come from the part file.
    const again = new Promise<void>((r) => t.once('done', () => r()))
    const moved = t.setFilePriority(index('skip.bin'), 4)
    expect(t.complete).toBe(false)
    await moved
    await again
    expect(t.complete).toBe(true)
    expect(await differing(d, content)).toEqual([])
    expect(t.stats().progress).toBe(1)
  })

  it('takes priorities set on a magnet before the metadata arrives', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'm/a.bin': 50_000, 'm/b.bin': 50_000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'm'), { version: 1, pieceLength: 16384 })
    const skip = st.metainfo!.files.findIndex((f) => f.path.join('/') === 'm/b.bin')
    const c = client()
    const d = await dir()
    const t = await c.add(st.magnetURI, { path: d })
    await t.setFilePriority(skip, 0)
    t.addPeer(local(seeder))
    await doneWithin(t, 30_000)
    expect(t.filePriorities[skip]).toBe(0)
    expect(await differing(d, new Map([['m/a.bin', content.get('m/a.bin')!]]))).toEqual([])
    expect(existsSync(join(d, 'm', 'b.bin'))).toBe(false)
  })
})

describe('file priorities across restarts (resume file)', () => {
  it('a file skipped in one session and wanted in the next gets the bytes of its boundary pieces', async () => {
    const { content, torrent, meta, index, seeder } = await threeFiles()
    const skip = index('skip.bin')
    const d = await dir()
    const c1 = client()
    const prios = meta.files.map((_, i) => (i === skip ? 0 : 4))
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)], filePriorities: prios })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()
    const c2 = client()
    // Explicit priorities: without them the ones saved in the resume file (skip.bin: 0) apply.
    const t2 = await c2.add(torrent, { path: d, peers: [local(seeder)], filePriorities: [4, 4, 4] })
    await doneWithin(t2, 30_000, 'second session')
    expect(await differing(d, content)).toEqual([])
  })

  it('a file wanted in one session and skipped in the next keeps its bytes in place', async () => {
    const { content, torrent, meta, index, seeder } = await threeFiles()
    const [skip, low] = [index('skip.bin'), index('low.bin')]
    const d = await dir()
    const c1 = client()
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)] })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()
    const c2 = client()
    const t2 = await c2.add(torrent, {
      path: d,
      filePriorities: meta.files.map((_, i) => (i === skip ? 0 : 4)),
    })
    await doneWithin(t2, 30_000, 'second session')
    expect(await differing(d, content)).toEqual([])
    // It serves a piece spanning low.bin and skip.bin from the files, not from an empty part file.
    const c3 = client()
    const d3 = await dir()
    const t3 = await c3.add(torrent, {
      path: d3,
      peers: [local(c2)],
      filePriorities: meta.files.map((_, i) => (i === low ? 4 : 0)),
    })
    const bad: number[] = []
    t3.on('piece', (e) => e.ok || bad.push(e.index))
    await doneWithin(t3, 30_000, 'third client')
    expect(bad).toEqual([])
    expect(await differing(d3, new Map([['q/low.bin', content.get('q/low.bin')!]]))).toEqual([])
  })
})
