import { connect } from 'node:net'
import {
  COMPONENTS,
  freePort,
  requireComponents,
  spawnChild,
  stopAll,
  tempDir,
  waitFor,
} from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import {
  dial,
  downloadPiece,
  fromHex,
  parseInfo,
  randomFile,
  runLtScript,
  sha1,
  unchoked,
} from './interop-helpers.js'

const dirs: Array<() => Promise<void>> = []
afterAll(async () => {
  await stopAll()
  for (const remove of dirs) await remove()
})

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

describe('Wire against aria2 seeding', () => {
  it('handshakes, fetches and verifies metadata, downloads and checks pieces', async (ctx) => {
    requireComponents(ctx, COMPONENTS.aria2, COMPONENTS.libtorrent)
    const dir = await tempDir('peer-wire-aria2-')
    dirs.push(dir.remove)
    const pieceLength = 32768
    const { path, data } = await randomFile(dir.path, 'content.bin', 7 * pieceLength + 999)
    const torrent = `${dir.path}/a.torrent`
    const created = await runLtScript(
      { content: path, torrent, port: 0, version: 'v1', pieceLength, createOnly: true },
      'torrent',
    )
    await created.child.stop()
    const infoHash = fromHex(created.line.infoHash!)

    const port = await freePort()
    const aria2 = spawnChild('aria2c', [
      '--no-conf',
      `--dir=${dir.path}`,
      `--listen-port=${port}`,
      '--interface=127.0.0.1',
      '--disable-ipv6',
      '--seed-ratio=0',
      '--bt-seed-unverified=true',
      '--check-integrity=false',
      '--enable-dht=false',
      '--enable-dht6=false',
      '--bt-enable-lpd=false',
      '--enable-peer-exchange=false',
      '--bt-require-crypto=false',
      '--bt-min-crypto-level=plain',
      '--summary-interval=0',
      '--console-log-level=warn',
      torrent,
    ])
    try {
      await waitFor(() => portOpen(port), 30_000, 'aria2 listening')
      const wire = await dial(port, { infoHash })
      try {
        expect(wire.peerHandshake!.extended).toBe(true)
        expect(wire.peerHandshake!.fast).toBe(true)
        wire.haveNone()
        const info = await wire.fetchMetadata()
        expect(Buffer.from(sha1(info)).equals(Buffer.from(infoHash))).toBe(true)
        const dict = parseInfo(info)
        const pieces = dict.pieces as Uint8Array
        const pieceCount = pieces.length / 20
        const length = dict.length as number
        expect(length).toBe(data.length)
        wire.setTorrent({ pieceCount, pieceLength, length })
        wire.interested()
        await unchoked(wire)
        for (const index of [0, pieceCount - 1]) {
          const size = index === pieceCount - 1 ? length - pieceLength * index : pieceLength
          const piece = await downloadPiece(wire, index, size)
          expect(
            Buffer.from(sha1(piece)).equals(Buffer.from(pieces.subarray(index * 20, index * 20 + 20))),
          ).toBe(true)
        }
      } finally {
        wire.destroy()
      }
    } finally {
      await aria2.stop()
    }
  })
})
