import { connect } from 'node:net'
import { COMPONENTS, freePort, requireComponents, spawnChild, waitFor } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import {
  cleanupInterop,
  dial,
  downloadAndCheck,
  fromHex,
  randomFile,
  runLtScript,
  scratchDir,
  sha1,
} from './interop-helpers.js'

afterAll(cleanupInterop)

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
    const dir = { path: await scratchDir('peer-wire-aria2-') }
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
        const { length } = await downloadAndCheck(wire, info, [0, -1])
        expect(length).toBe(data.length)
      } finally {
        wire.destroy()
      }
    } finally {
      await aria2.stop()
    }
  })
})
