import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { type AddressInfo, connect, createServer } from 'node:net'
import { join } from 'node:path'
import { Wire, type WireOptions } from '@p2p/peer-wire'
import type { PieceEvent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-layers-', { hashThreads: 2 })

describe('v2 piece layers over BEP 52 hash requests', () => {
  it('downloads a v2-only multi-piece torrent from a magnet link (layers fetched and checked)', async () => {
    const src = await dir()
    // Files of many pieces (one needs two hash requests of 512), one of a single piece.
    const content = await writeContent(src, {
      'v/big.bin': 16384 * 600 + 1000,
      'v/mid.bin': 100_000,
      'v/tiny.bin': 3000,
    })
    const seeder = client()
    const st = await seeder.seed(join(src, 'v'), { version: 2, pieceLength: 16384 })
    expect(st.magnetURI).toContain('urn:btmh:')
    const c = client()
    const d = await dir()
    const t = await c.add(st.magnetURI, { path: d, peers: [local(seeder)] })
    const pieces: PieceEvent[] = []
    t.on('piece', (e) => pieces.push(e))
    const warnings: string[] = []
    t.on('warning', (w) => warnings.push(w.message))
    await doneWithin(t, 60_000)
    expect(await differing(d, content)).toEqual([])
    expect(pieces.length).toBeGreaterThan(600)
    expect(pieces.every((p) => p.ok && p.algorithm === 'sha256')).toBe(true)
    expect(t.metainfo!.pieceLayers.size).toBe(2)
    expect(warnings.filter((w) => /piece layer/.test(w))).toEqual([])
  })
})

describe('hash requests between peers', () => {
  async function v2Seeder() {
    const src = await dir()
    const content = await writeContent(src, { 'w/a.bin': 16384 * 37 + 5, 'w/b.bin': 70_000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'w'), { version: 2, pieceLength: 32768 })
    return { content, seeder, st }
  }

  /** A raw wire to `port` (a peer of ours), handshaken for `infoHash`. */
  async function rawWire(port: number, infoHash: Uint8Array, options: Partial<WireOptions> = {}) {
    const socket = connect({ host: '127.0.0.1', port })
    await once(socket, 'connect')
    const wire = new Wire(socket, { infoHash, peerId: randomBytes(20), ...options })
    onCleanup(async () => wire.destroy())
    const shaken = once(wire as never, 'handshake')
    wire.handshake()
    await shaken
    return wire
  }

  it('our seeder answers piece-layer requests with the uncle hashes up to the root', async () => {
    const { seeder, st } = await v2Seeder()
    const meta = st.metainfo!
    const f = meta.files.find((x) => x.path.join('/') === 'w/a.bin')!
    const layer = meta.pieceLayers.get(Buffer.from(f.piecesRoot!).toString('hex'))!
    const wire = await rawWire(seeder.port, st.infoHashBytes)
    const sha = (a: Uint8Array, b: Uint8Array) => createHash('sha256').update(a).update(b).digest()
    const baseLayer = Math.log2(32768 / 16384)
    // 19 pieces: a 32-wide layer (5 levels). Ask for hashes 8..11 with proofs to the root.
    const answer = await wire.hashRequest({
      piecesRoot: f.piecesRoot!,
      baseLayer,
      index: 8,
      length: 4,
      proofLayers: 5,
    })
    const hashes = Array.from({ length: answer.hashes.length / 32 }, (_, i) =>
      answer.hashes.subarray(i * 32, i * 32 + 32),
    )
    expect(hashes.length).toBe(4 + 3) // uncles at levels 2, 3 and 4 (level 5 is the root)
    for (let i = 0; i < 4; i++)
      expect(Buffer.from(hashes[i]!)).toEqual(Buffer.from(layer.subarray((8 + i) * 32, (9 + i) * 32)))
    let node = sha(sha(hashes[0]!, hashes[1]!), sha(hashes[2]!, hashes[3]!)) // level 2, position 2
    let pos = 2
    for (const uncle of hashes.slice(4)) {
      node = pos % 2 === 0 ? sha(node, uncle) : sha(uncle, node)
      pos >>= 1
    }
    expect(Buffer.from(node)).toEqual(Buffer.from(f.piecesRoot!))
    // Leaf hashes (they need the data) and unknown roots are rejected.
    await expect(
      wire.hashRequest({ piecesRoot: f.piecesRoot!, baseLayer: 0, index: 0, length: 2, proofLayers: 0 }),
    ).rejects.toMatchObject({ code: 'PEER_WIRE_HASH_REJECTED' })
    await expect(
      wire.hashRequest({ piecesRoot: new Uint8Array(32), baseLayer, index: 0, length: 2, proofLayers: 0 }),
    ).rejects.toMatchObject({ code: 'PEER_WIRE_HASH_REJECTED' })
  })

  it('drops a piece layer that does not hash to the pieces root and gets it from another peer', async () => {
    const { content, seeder, st } = await v2Seeder()
    const meta = st.metainfo!
    // A peer that serves the metadata but lies about the hashes.
    const sockets = new Set<import('node:net').Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      const w = new Wire(socket, { infoHash: st.infoHashBytes, peerId: randomBytes(20), metadata: meta.info })
      w.on('hash-request', (req) => w.hashes(req, randomBytes(req.length * 32)))
      w.on('close', () => socket.destroy())
      w.handshake()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    // the seeder learns the liar through PEX and stays connected to it: end those connections too
    onCleanup(() => {
      for (const socket of sockets) socket.destroy()
      return new Promise((r) => server.close(() => r()))
    })
    const liar = { host: '127.0.0.1', port: (server.address() as AddressInfo).port }
    const c = client()
    const d = await dir()
    const t = await c.add(st.magnetURI, { path: d, peers: [liar] })
    const rejected = new Promise<string>((r) =>
      t.on('warning', (w) => /piece layer/.test(w.message) && r(w.message)),
    )
    expect(await rejected).toMatch(/do not match the pieces root/)
    expect(t.metainfo).toBeUndefined()
    t.addPeer(local(seeder))
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
  })
})

describe('a v2 .torrent without its piece layers', () => {
  it('gets the layers from a peer before downloading', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'n/a.bin': 300_000, 'n/b.bin': 5000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'n'), { version: 2, pieceLength: 16384 })
    const { createTorrent, parseTorrent } = await import('@p2p/metainfo')
    const { torrent } = await createTorrent(join(src, 'n'), { version: 2, pieceLength: 16384 })
    const { decode, encode } = await import('@p2p/bencode')
    const top = decode(torrent) as Record<string, unknown>
    delete top['piece layers']
    const stripped = encode(top as never)
    const meta = parseTorrent(stripped)
    expect(meta.infoHash).toBe(st.metainfo!.infoHash)
    expect(meta.pieceLayers.size).toBe(0)
    const c = client()
    const d = await dir()
    const t = await c.add(stripped, { path: d, peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    expect(await differing(d, content)).toEqual([])
    expect(t.metainfo!.pieceLayers.size).toBe(1)
  })
})
