import { cp, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Wire } from '@p2p/peer-wire'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-recheck-', { hashThreads: 1 })

const PIECE = 16_384

describe('torrent.recheck() on a running torrent', () => {
  it('a seed whose file was corrupted loses the piece and downloads it again from another seed', async () => {
    const a = await dir()
    const content = await writeContent(a, { 'r/x.bin': 10 * PIECE, 'r/y.bin': 5 * PIECE })
    const b = await dir()
    await cp(join(a, 'r'), join(b, 'r'), { recursive: true })
    const other = client()
    const ot = await other.seed(join(b, 'r'), { version: 1, pieceLength: PIECE })
    const seeder = client()
    const st = await seeder.seed(join(a, 'r'), { version: 1, pieceLength: PIECE })
    expect(st.infoHash).toBe(ot.infoHash)
    st.addPeer(local(other))
    // Piece 12 (bytes 2 * PIECE.. of y.bin) goes bad on disk behind the seed's back.
    const fh = await open(join(a, 'r', 'y.bin'), 'r+')
    await fh.write(Buffer.alloc(100, 0xee), 0, 100, 2 * PIECE + 7)
    await fh.close()
    expect(st.complete).toBe(true)
    const progress: number[] = []
    st.on('checking', (e) => progress.push(e.checked / e.total))
    const pieces: { index: number; ok: boolean }[] = []
    st.on('piece', (e) => pieces.push({ index: e.index, ok: e.ok }))
    await st.recheck()
    expect(progress.length).toBe(15)
    expect(progress.at(-1)).toBe(1)
    expect(st.stats().progress).toBe(14 / 15)
    // The piece comes back from the other seed, and the file is whole again.
    await waitFor(() => st.complete || undefined, 20_000, 'the lost piece downloaded again')
    expect(pieces).toEqual([{ index: 12, ok: true }])
    expect(st.stats().progress).toBe(1)
    expect((await readFile(join(a, 'r', 'y.bin'))).equals(content.get('r/y.bin')!)).toBe(true)
  })

  it('tells a connected peer of a lost piece with lt_donthave', async () => {
    const a = await dir()
    await writeContent(a, { 'g/x.bin': 4 * PIECE })
    const seeder = client()
    // Uploads of 1 byte/s: the leecher stays a leecher, connected, while the seed rechecks.
    const st = await seeder.seed(join(a, 'g'), { version: 1, pieceLength: PIECE, uploadLimit: 1 })
    const leecher = client()
    const lt = await leecher.add(st.metainfo!, { path: await dir(), resume: false })
    const wires: Wire[] = []
    lt.on('wire', (w) => wires.push(w))
    lt.addPeer(local(seeder))
    await waitFor(() => wires[0]?.peerPieces.get(1) || undefined, 10_000, 'the seed announced piece 1')
    const fh = await open(join(a, 'g', 'x.bin'), 'r+')
    await fh.write(Buffer.alloc(10, 1), 0, 10, PIECE + 5)
    await fh.close()
    const donthave = new Promise<number>((r) => wires[0]!.once('donthave', r))
    await st.recheck()
    expect(await donthave).toBe(1)
    expect(st.complete).toBe(false)
    expect(wires[0]!.destroyed).toBe(false)
  })
})
