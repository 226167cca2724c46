import { readFile } from 'node:fs/promises'
import type { Wire } from '@p2p/peer-wire'
import { COMPONENTS, requireComponents, stopAll, tempDir } from '@p2p/test-utils'
import { UtpSocket, type UtpStream } from '@p2p/utp'
import { afterAll, describe, expect, it } from 'vitest'
import { dialUtp, downloadAll, ltLines, makeTorrent, runLt, serveAll } from './interop-helpers.js'

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
      let wire: Wire | undefined
      try {
        const got = await downloadAll(stream, t, pieceLength)
        wire = got.wire
        expect(got.data.equals(t.data)).toBe(true)
        // libtorrent itself says the connection is uTP.
        await waitForPeerLine(seed.child)
        expect(ltLines(seed.child).find((l) => l.type === 'peer')?.utp).toBe(true)
        expect(stream.connection!.stats.bytesReceived).toBeGreaterThan(t.data.length)
      } finally {
        wire?.destroy()
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
      const served = serveAll(socket, t, pieceLength)
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
