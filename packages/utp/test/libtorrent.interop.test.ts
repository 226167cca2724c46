import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { type BencodeDict, decode } from '@p2p/bencode'
import { generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { COMPONENTS, requireComponents, stopAll, tempDir } from '@p2p/test-utils'
import { UtpSocket, type UtpStream } from '@p2p/utp'
import { afterAll, describe, expect, it } from 'vitest'
import { ltLines, makeTorrent, runLt, sha1 } from './interop-helpers.js'

const sockets: UtpSocket[] = []
const dirs: Array<() => Promise<void>> = []
afterAll(async () => {
  await stopAll()
  for (const s of sockets.splice(0)) await s.close()
  for (const remove of dirs.splice(0)) await remove()
})

async function scratch(prefix: string): Promise<string> {
  const dir = await tempDir(prefix)
  dirs.push(dir.remove)
  return dir.path
}

/** Dials libtorrent over uTP, retrying the connect like the recipe's leecher does. */
async function dialUtp(socket: UtpSocket, port: number): Promise<UtpStream> {
  for (let attempt = 0; ; attempt++) {
    const stream = socket.connect(port, '127.0.0.1')
    try {
      await Promise.race([
        once(stream, 'connect'),
        once(stream, 'close').then(() => {
          throw new Error('closed before connect')
        }),
      ])
      return stream
    } catch (error) {
      if (attempt >= 4) throw error
    }
  }
}

describe.each(['v1', 'hybrid'] as const)(
  'uTP against python3-libtorrent with TCP disabled (%s)',
  (version) => {
    it('downloads every piece from a libtorrent seed over our uTP connection and Wire', async (ctx) => {
      requireComponents(ctx, COMPONENTS.libtorrent)
      const dir = await scratch('utp-lt-seed-')
      const pieceLength = 32768
      const t = await makeTorrent(dir, 20 * pieceLength + 1234, pieceLength, version)
      const seed = await runLt({ mode: 'seed', content: t.content, torrent: t.torrent }, 'ready')
      const socket = new UtpSocket()
      sockets.push(socket)
      await socket.bind(0, '127.0.0.1')
      const stream = await dialUtp(socket, seed.line.port!)
      const wire = new Wire(stream, {
        infoHash: t.infoHash,
        peerId: generatePeerId(),
        pieceCount: t.pieceCount,
        pieceLength,
        length: t.data.length,
        requestTimeout: 20_000,
      })
      try {
        const handshake = new Promise((r) => wire.once('handshake', r))
        wire.handshake()
        await handshake
        wire.haveNone()
        wire.interested()
        if (wire.peerChoking) await new Promise<void>((r) => wire.once('unchoke', () => r()))
        const dict = decode(t.info) as BencodeDict
        const hashes = dict.pieces as Uint8Array
        const pieces: Buffer[] = []
        for (let index = 0; index < t.pieceCount; index++) {
          const size = Math.min(pieceLength, t.data.length - index * pieceLength)
          const blocks: Promise<Uint8Array>[] = []
          for (let begin = 0; begin < size; begin += 16384) {
            blocks.push(wire.request(index, begin, Math.min(16384, size - begin)))
          }
          const piece = Buffer.concat(await Promise.all(blocks))
          expect(sha1(piece).equals(Buffer.from(hashes.subarray(index * 20, index * 20 + 20)))).toBe(true)
          pieces.push(piece)
        }
        expect(Buffer.concat(pieces).equals(t.data)).toBe(true)
        // libtorrent itself says the connection is uTP.
        await waitForPeerLine(seed.child)
        expect(ltLines(seed.child).find((l) => l.type === 'peer')?.utp).toBe(true)
        expect(stream.connection!.stats.bytesReceived).toBeGreaterThan(t.data.length)
      } finally {
        wire.destroy()
        await seed.child.stop()
      }
    })

    it('serves a libtorrent leecher over uTP from our socket and Wire', async (ctx) => {
      requireComponents(ctx, COMPONENTS.libtorrent)
      const dir = await scratch('utp-lt-leech-')
      const pieceLength = 32768
      const t = await makeTorrent(dir, 24 * pieceLength + 4321, pieceLength, version)
      const socket = new UtpSocket()
      sockets.push(socket)
      await socket.listen(0, '127.0.0.1')
      const served: Wire[] = []
      socket.on('connection', (stream) => {
        const wire = new Wire(stream, {
          infoHash: t.infoHash,
          peerId: generatePeerId(),
          metadata: t.info,
          pieceCount: t.pieceCount,
          pieceLength,
          length: t.data.length,
        })
        served.push(wire)
        wire.on('handshake', () => {
          wire.handshake()
          wire.haveAll()
        })
        wire.on('interested', () => wire.unchoke())
        wire.on('request', (r) => {
          const start = r.index * pieceLength + r.begin
          wire.piece(r.index, r.begin, t.data.subarray(start, start + r.length))
        })
      })
      const out = await scratch('utp-lt-leech-out-')
      const leech = await runLt(
        { mode: 'leech', torrent: t.torrent, peer: `127.0.0.1:${socket.address().port}`, dir: out },
        'done',
      )
      try {
        expect((await readFile(`${out}/content.bin`)).equals(t.data)).toBe(true)
        expect(ltLines(leech.child).find((l) => l.type === 'peer')?.utp).toBe(true)
        const wire = served.find((w) => w.uploaded > 0)!
        expect(wire.uploaded).toBe(t.data.length)
        expect((wire.stream as UtpStream).transport).toBe('utp')
      } finally {
        for (const w of served) w.destroy()
        await leech.child.stop()
      }
    })
  },
)

async function waitForPeerLine(child: Parameters<typeof ltLines>[0]): Promise<void> {
  for (let i = 0; i < 50 && !ltLines(child).some((l) => l.type === 'peer'); i++) {
    await new Promise((r) => setTimeout(r, 100))
  }
}
