import { connect } from 'node:net'
import { join } from 'node:path'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { type Client, DEFAULT_SUPER_SEED_PIECES, type PieceEvent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-seed-', { hashThreads: 1 })

async function content(size: number, pieceLength: number) {
  const src = await dir()
  const files = await writeContent(src, { 'f.bin': size })
  const torrent = await v1Torrent(
    'f.bin',
    [{ path: ['f.bin'], bytes: files.get('f.bin')! }],
    pieceLength,
    true,
  )
  return { src, files, torrent }
}

/** A raw wire to `seeder` for the torrent `st`, with its handshake sent and have-none said. */
function rawPeer(seeder: Client, st: { infoHashBytes: Uint8Array }, pieces: number, tag: string): Wire {
  const wire = new Wire(connect(local(seeder)), {
    infoHash: st.infoHashBytes,
    peerId: generatePeerId(`-${tag}0001-`),
    pieceCount: pieces,
    pieceLength: 16384,
    length: pieces * 16384,
  })
  onCleanup(async () => wire.destroy())
  wire.on('handshake', () => wire.haveNone())
  wire.handshake()
  return wire
}

const unchoked = (w: Wire) => new Promise<void>((r) => (!w.peerChoking ? r() : w.once('unchoke', () => r())))

describe('upload slots', () => {
  it('a slot freed by a peer losing interest goes to a waiting peer at once, not at the next round', async () => {
    const { src, torrent } = await content(8 * 16384, 16384)
    const seeder = client()
    const st = await seeder.seed(join(src, 'f.bin'), { torrent, uploadSlots: 1 })
    const a = rawPeer(seeder, st, 8, 'AA')
    await new Promise<void>((r) => a.once('handshake', () => r()))
    a.interested()
    await unchoked(a)
    const b = rawPeer(seeder, st, 8, 'BB')
    await new Promise<void>((r) => b.once('handshake', () => r()))
    b.interested()
    let bUnchoked = false
    b.once('unchoke', () => {
      bUnchoked = true
    })
    // b waits while a holds the only slot...
    await a.request(0, 0, 16384)
    expect(bUnchoked).toBe(false)
    // ...and gets it as soon as a is no longer interested (the choke round is 10 s away).
    a.uninterested()
    await unchoked(b)
    expect(bUnchoked).toBe(true)
  })
})

describe('super-seeding (BEP 16)', () => {
  it('shows a new peer a few pieces (have-none, then haves) and serves only those', async () => {
    const { src, torrent } = await content(40 * 16384, 16384)
    const seeder = client()
    const st = await seeder.seed(join(src, 'f.bin'), { torrent, superSeed: true })
    const socket = connect(local(seeder))
    const wire = new Wire(socket, {
      infoHash: st.infoHashBytes,
      peerId: generatePeerId('-SS0001-'),
      pieceCount: 40,
      pieceLength: 16384,
      length: 40 * 16384,
    })
    onCleanup(async () => wire.destroy())
    const haves: number[] = []
    let haveNone = false
    let haveAll = false
    wire.on('have-none', () => {
      haveNone = true
    })
    wire.on('have-all', () => {
      haveAll = true
    })
    wire.on('bitfield', (b) => {
      if (b.buffer.some((x) => x !== 0)) haveAll = true
    })
    wire.on('have', (i) => haves.push(i))
    const unchoked = new Promise<void>((r) => wire.once('unchoke', () => r()))
    wire.on('handshake', () => {
      wire.haveNone()
      wire.interested()
    })
    wire.handshake()
    await unchoked
    await new Promise<void>((r) => {
      const tick = () => (haves.length >= DEFAULT_SUPER_SEED_PIECES ? r() : setTimeout(tick, 20))
      tick()
    })
    expect(wire.fast).toBe(true)
    expect(haveNone).toBe(true)
    expect(haveAll).toBe(false)
    expect(haves).toHaveLength(DEFAULT_SUPER_SEED_PIECES)
    const shown = haves[0]!
    const hidden = [...Array(40).keys()].find((i) => !haves.includes(i))!
    const block = await wire.request(shown, 0, 16384)
    expect(block.length).toBe(16384)
    await expect(wire.request(hidden, 0, 16384)).rejects.toMatchObject({ code: 'PEER_WIRE_REJECTED' })
  })

  it('leechers, and a lone leecher, end with byte-identical copies', async () => {
    const { src, files, torrent } = await content(1_200_000, 32768)
    const seeder = client()
    await seeder.seed(join(src, 'f.bin'), { torrent, superSeed: true })
    // A lone leecher first: nobody can confirm its pieces, it must not stall.
    const lone = client()
    const dl = await dir()
    const tl = await lone.add(torrent, { path: dl, peers: [local(seeder)] })
    await doneWithin(tl, 30_000, 'lone')
    await lone.close()
    expect(await differing(dl, files)).toEqual([])
    const leechers: { c: Client; d: string; t: Awaited<ReturnType<Client['add']>>; pieces: PieceEvent[] }[] =
      []
    for (let i = 0; i < 3; i++) {
      const c = client()
      const d = await dir()
      const t = await c.add(torrent, { path: d, peers: [local(seeder), ...leechers.map((l) => local(l.c))] })
      const pieces: PieceEvent[] = []
      t.on('piece', (e) => pieces.push(e))
      leechers.push({ c, d, t, pieces })
    }
    await Promise.all(leechers.map((l, i) => doneWithin(l.t, 45_000, `leecher ${i}`)))
    for (const l of leechers) {
      expect(await differing(l.d, files)).toEqual([])
      expect(l.pieces.every((p) => p.ok)).toBe(true)
    }
  })
})
