import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { generatePeerId } from '@p2p/peer-address'
import { type BlockRequest, Wire } from '@p2p/peer-wire'
import type { PieceEvent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, v1Torrent, writeContent } from './helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-choke-', { hashThreads: 1 })

/** A raw piece message carrying `length` bytes of 0xee (bypasses the sending wire's bookkeeping). */
function rawPiece(r: BlockRequest): Buffer {
  const m = Buffer.alloc(13 + r.length, 0xee)
  m.writeUInt32BE(9 + r.length, 0)
  m[4] = 7
  m.writeUInt32BE(r.index, 5)
  m.writeUInt32BE(r.begin, 9)
  return m
}

/**
 * A fast-extension peer that takes requests, chokes without rejecting them (as a peer may when it
 * still means to serve them), calls `onChoked`, and 500 ms later sends garbage for every request it
 * took: blocks in flight when we gave those requests to another peer.
 */
async function lateChoker(infoHash: Uint8Array, pieceCount: number, onChoked: () => void) {
  const held: BlockRequest[] = []
  let cancels = 0
  let socket: Socket | undefined
  const server = createServer((s) => {
    socket = s
    const wire = new Wire(s, { infoHash, peerId: generatePeerId('-LC0001-'), pieceCount })
    wire.on('handshake', () => {
      wire.haveAll()
      wire.unchoke()
    })
    wire.on('cancel', () => cancels++)
    wire.on('request', (r) => {
      held.push(r)
      if (held.length !== 1) return
      setTimeout(() => {
        s.write(Buffer.from([0, 0, 0, 1, 0])) // choke, no rejects
        onChoked()
        setTimeout(() => {
          if (!s.destroyed) for (const r of held) s.write(rawPiece(r))
        }, 500)
      }, 50)
    })
    wire.handshake()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  onCleanup(
    () =>
      new Promise<void>((r) => {
        socket?.destroy()
        server.close(() => r())
      }),
  )
  const addr = server.address()
  return { port: typeof addr === 'object' && addr ? addr.port : 0, held, cancels: () => cancels }
}

describe('choke under the fast extension', () => {
  it('cancels the requests it moves to other peers: late blocks from the choker are dropped, not written', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'f.bin': 1_048_576 })
    const torrent = await v1Torrent('f.bin', [{ path: ['f.bin'], bytes: content.get('f.bin')! }], 16384, true)
    // Slow enough that the choker's late garbage arrives while pieces are still being fetched.
    const seeder = client({ uploadLimit: 400_000 })
    const st = await seeder.seed(join(src, 'f.bin'), { torrent })
    const c = client()
    const d = await dir()
    let add = () => {}
    const choker = await lateChoker(st.infoHashBytes, st.metainfo!.pieceCount, () => add())
    const t = await c.add(torrent, { path: d, peers: [{ host: '127.0.0.1', port: choker.port }] })
    add = () => t.addPeer(local(seeder))
    const failed: PieceEvent[] = []
    t.on('piece', (e) => {
      if (!e.ok) failed.push(e)
    })
    await doneWithin(t, 30_000)
    expect(choker.held.length).toBeGreaterThan(0)
    expect(choker.cancels()).toBe(choker.held.length)
    expect(failed).toEqual([])
    expect(await differing(d, content)).toEqual([])
  })
})
