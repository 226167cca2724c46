import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { generatePeerId, type PeerAddress } from '@p2p/peer-address'
import { type BlockRequest, Wire, type WireOptions } from '@p2p/peer-wire'
import { waitFor } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-stall-', { hashThreads: 1 })

type RawPeer = { wire: Wire; socket: Socket }

/** A raw-protocol peer listening on 127.0.0.1: `onWire` drives each connection's `Wire`. */
async function rawPeer(options: Omit<WireOptions, 'peerId'>, onWire: (p: RawPeer) => void) {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const wire = new Wire(socket, { peerId: generatePeerId('-RP0001-'), ...options })
    onWire({ wire, socket })
    wire.handshake()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  onCleanup(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  )
  const addr = server.address()
  return { host: '127.0.0.1', port: typeof addr === 'object' && addr ? addr.port : 0 }
}

/** Serves `req` from `content`. */
function serve(wire: Wire, content: Buffer, pieceLength: number, req: BlockRequest): void {
  const at = req.index * pieceLength + req.begin
  wire.piece(req.index, req.begin, content.subarray(at, at + req.length))
}

/**
 * A seed that unchokes, takes the first burst of requests, chokes (rejecting them, BEP 6), unchokes
 * 300 ms later and then serves everything: what a real client's choker does every 10 s.
 */
function chokingSeed(content: Buffer, pieceLength: number) {
  return ({ wire }: RawPeer) => {
    let serving = false
    let choking = false
    wire.on('handshake', () => {
      wire.haveAll()
      wire.unchoke()
    })
    wire.on('request', (req) => {
      if (serving) return serve(wire, content, pieceLength, req)
      if (choking) return
      choking = true
      setTimeout(() => {
        wire.choke() // rejects every request it holds
        setTimeout(() => {
          serving = true
          wire.unchoke()
        }, 300)
      }, 20)
    })
  }
}

async function torrentOf(files: Record<string, number>, pieceLength: number) {
  const src = await dir()
  const content = await writeContent(src, files)
  const name = Object.keys(files)[0]!
  const bytes = content.get(name)!
  const torrent = await v1Torrent(name, [{ path: [name], bytes }], pieceLength, true)
  return { src, content, bytes, torrent, name }
}

describe('no stall after a choke or a disconnect', () => {
  it('finishes after a choke with rejects: 8 MiB pieces, default options', async () => {
    const pieceLength = 8 * 2 ** 20
    const { content, bytes, torrent } = await torrentOf({ 'f.bin': pieceLength + 65_536 }, pieceLength)
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, { path: d })
    const seed = await rawPeer({ infoHash: t.infoHashBytes, pieceCount: 2 }, chokingSeed(bytes, pieceLength))
    t.addPeer(seed)
    await doneWithin(t, 20_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('finishes after a choke with rejects: 32 KiB pieces, maxBufferedBytes 64 KiB', async () => {
    const pieceLength = 32_768
    const { content, bytes, torrent } = await torrentOf({ 'f.bin': 1_048_576 }, pieceLength)
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, { path: d, maxBufferedBytes: 65_536 })
    const seed = await rawPeer({ infoHash: t.infoHashBytes, pieceCount: 32 }, chokingSeed(bytes, pieceLength))
    t.addPeer(seed)
    await doneWithin(t, 20_000)
    expect(await differing(d, content)).toEqual([])
  })

  it('finishes when a seed disconnects before its first block and a good seed comes 100 ms later', async () => {
    const pieceLength = 8 * 2 ** 20
    const { src, content, torrent, name } = await torrentOf({ 'f.bin': pieceLength + 65_536 }, pieceLength)
    const good = client()
    await good.seed(join(src, name), { torrent })
    const c = client()
    const d = await dir()
    const t = await c.add(torrent, { path: d })
    let requests = 0
    const quitter = await rawPeer({ infoHash: t.infoHashBytes, pieceCount: 2 }, ({ wire, socket }) => {
      wire.on('handshake', () => {
        wire.haveAll()
        wire.unchoke()
      })
      wire.on('request', () => {
        if (requests++ > 0) return
        setTimeout(() => {
          socket.destroy()
          setTimeout(() => t.addPeer(local(good)), 100)
        }, 20)
      })
    })
    t.addPeer(quitter)
    await doneWithin(t, 20_000)
    expect(requests).toBeGreaterThan(0)
    expect(await differing(d, content)).toEqual([])
  })
})

describe('availability and PEX follow what peers say', () => {
  it('lowers a piece availability on lt_donthave (BEP 54)', async () => {
    const { torrent } = await torrentOf({ 'f.bin': 4 * 16_384 }, 16_384)
    const c = client()
    const t = await c.add(torrent, { path: await dir() })
    let peer: Wire | undefined
    const addr = await rawPeer({ infoHash: t.infoHashBytes, pieceCount: 4 }, ({ wire }) => {
      wire.on('handshake', () => wire.bitfield(Uint8Array.of(0xf0), 4))
      wire.on('extended-handshake', () => {
        peer = wire
      })
    })
    t.addPeer(addr)
    await waitFor(() => peer && t.availability(2) === 1, 10_000, 'the bitfield to count')
    expect(peer!.donthave(2)).toBe(true)
    await waitFor(() => t.availability(2) === 0, 10_000, 'the donthave to count')
    expect(t.availability(1)).toBe(1)
  })

  it('reports a peer it told others about as dropped once it disconnects (BEP 11)', async () => {
    const { torrent } = await torrentOf({ 'f.bin': 4 * 16_384 }, 16_384)
    const c = client()
    const t = await c.add(torrent, { path: await dir(), pexInterval: 200 })
    const infoHash = t.infoHashBytes
    const added: string[] = []
    const dropped: string[] = []
    const fmt = (p: PeerAddress) => `${p.host}:${p.port}`
    const listener = await rawPeer({ infoHash, pieceCount: 4, pexInterval: 200 }, ({ wire }) => {
      wire.on('pex', (m) => {
        added.push(...m.added.map(fmt))
        dropped.push(...m.dropped.map(fmt))
      })
    })
    let leaving: Socket | undefined
    const leaver = await rawPeer({ infoHash, pieceCount: 4 }, ({ socket }) => {
      leaving = socket
    })
    t.addPeer(listener)
    t.addPeer(leaver)
    await waitFor(() => added.includes(fmt(leaver)), 10_000, 'the leaver to be advertised')
    leaving!.destroy()
    await waitFor(() => dropped.includes(fmt(leaver)), 10_000, 'the leaver to be reported dropped')
    expect(dropped).not.toContain(fmt(listener))
  })
})
