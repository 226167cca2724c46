import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Wire } from '@p2p/peer-wire'
import {
  COMPONENTS,
  type Qbittorrent,
  requireComponents,
  startQbittorrent,
  stopAll,
  tempDir,
  waitFor,
} from '@p2p/test-utils'
import { UtpSocket, type UtpStream } from '@p2p/utp'
import { afterAll, describe, expect, it } from 'vitest'
import { dialUtp, downloadAll, makeTorrent, serveAll } from './interop-helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await stopAll()
})

async function scratch(prefix: string): Promise<string> {
  const dir = await tempDir(prefix)
  cleanups.push(dir.remove)
  return dir.path
}

async function socket(listen: boolean): Promise<UtpSocket> {
  const s = new UtpSocket()
  cleanups.push(() => s.close())
  if (listen) await s.listen(0, '127.0.0.1')
  else await s.bind(0, '127.0.0.1')
  return s
}

async function qbittorrent(options: Parameters<typeof startQbittorrent>[0]): Promise<Qbittorrent> {
  const qb = await startQbittorrent(options)
  cleanups.push(() => qb.stop())
  return qb
}

interface QbPeer {
  connection: string
  uploaded?: number
  downloaded?: number
}

/** qBittorrent's own view of the torrent's peers (`connection` is `μTP` or `BT`). */
async function qbPeers(qb: Qbittorrent, hash: string): Promise<QbPeer[]> {
  const body = JSON.parse(await qb.api(`sync/torrentPeers?hash=${hash}&rid=0`)) as {
    peers?: Record<string, QbPeer>
  }
  return Object.values(body.peers ?? {})
}

const PIECE = 32768

describe('uTP against qBittorrent (qbittorrent-nox, BitTorrent over uTP only)', () => {
  it('downloads every piece from a qBittorrent seed over our uTP connection', async (ctx) => {
    requireComponents(ctx, COMPONENTS.qbittorrent, COMPONENTS.libtorrent)
    const dir = await scratch('utp-qb-seed-')
    const t = await makeTorrent(dir, 48 * PIECE + 777, PIECE, 'v1')
    const hash = Buffer.from(t.infoHash).toString('hex')
    const qb = await qbittorrent({ saveDir: dir, torrent: t.torrent, skipHashCheck: true })
    await waitFor(
      async () =>
        (JSON.parse(await qb.api(`torrents/info?hashes=${hash}`)) as { progress: number }[])[0]?.progress ===
        1,
      20_000,
      'qBittorrent to seed',
    )
    const s = await socket(false)
    const stream = await dialUtp(s, qb.port)
    let wire: Wire | undefined
    try {
      const got = await downloadAll(stream, t, PIECE)
      wire = got.wire
      expect(got.data.equals(t.data)).toBe(true)
      // qBittorrent itself lists the connection as uTP.
      const peers = await waitFor(
        async () => (await qbPeers(qb, hash)).filter((p) => p.connection),
        10_000,
        'peers',
      )
      expect(peers.map((p) => p.connection)).toContain('μTP')
    } catch (error) {
      throw new Error(`${String(error)}\nqBittorrent log:\n${await qb.log()}`)
    } finally {
      wire?.destroy()
    }
  })

  it('serves a qBittorrent leecher over uTP from our socket', async (ctx) => {
    requireComponents(ctx, COMPONENTS.qbittorrent, COMPONENTS.libtorrent)
    const dir = await scratch('utp-qb-leech-')
    const t = await makeTorrent(dir, 48 * PIECE + 4321, PIECE, 'v1')
    const hash = Buffer.from(t.infoHash).toString('hex')
    const s = await socket(true)
    const served = serveAll(s, t, PIECE)
    const out = await scratch('utp-qb-leech-out-')
    const qb = await qbittorrent({ saveDir: out, torrent: t.torrent })
    try {
      // No tracker: tell qBittorrent where we are (it dials over uTP; retry until the torrent is loaded).
      await waitFor(
        async () => {
          await qb
            .api('torrents/addPeers', { hashes: hash, peers: `127.0.0.1:${s.address().port}` })
            .catch(() => '')
          return served.length > 0
        },
        30_000,
        'qBittorrent to connect',
        1000,
      )
      await waitFor(
        async () => (await readFile(join(out, 'content.bin')).catch(() => Buffer.alloc(0))).equals(t.data),
        40_000,
        'qBittorrent to finish',
        250,
      )
      const wire = served.find((w) => w.uploaded > 0)!
      expect(wire.uploaded).toBeGreaterThanOrEqual(t.data.length)
      expect((wire.stream as { transport?: string }).transport).toBe('utp')
    } catch (error) {
      const info = await qb.api(`torrents/info?hashes=${hash}`).catch(String)
      const wires = served
        .map((w) => {
          const c = (w.stream as UtpStream).connection
          return `${w.uploaded} ${JSON.stringify(c?.stats)} cwnd ${c?.cwnd} peerWindow ${c?.peerWindow} inFlight ${c?.inFlight} queued ${c?.queued} rtt ${c?.rtt}`
        })
        .join(', ')
      throw new Error(`${String(error)}\nwires: ${wires}\nqBittorrent: ${info}\n${await qb.log()}`)
    } finally {
      for (const w of served) w.destroy()
    }
  })
})
