import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { type BencodeDict, decode, rawBytes } from '@p2p/bencode'
import { bytesToIp, generatePeerId } from '@p2p/peer-address'
import { Wire } from '@p2p/peer-wire'
import { COMPONENTS, freePort, requireComponents } from '@p2p/test-utils'
import { afterAll, describe, expect, it } from 'vitest'
import {
  cleanupInterop,
  dial,
  downloadAndCheck,
  fromHex,
  parseInfo,
  randomFile,
  runLtScript,
  scratchDir,
  sha1,
  sha256,
  unchoked,
} from './interop-helpers.js'

afterAll(cleanupInterop)

describe('Wire against a python3-libtorrent seeder', () => {
  it('handshakes with fast+extension bits, fetches and verifies metadata, downloads and checks pieces', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const dir = { path: await scratchDir('peer-wire-lt-') }
    const pieceLength = 65536
    const { path, data } = await randomFile(dir.path, 'content.bin', 5 * pieceLength + 12345)
    const { child, line } = await runLtScript(
      {
        content: path,
        torrent: `${dir.path}/v1.torrent`,
        port: await freePort(),
        version: 'v1',
        pieceLength,
      },
      'ready',
    )
    const infoHash = fromHex(line.infoHash!)
    const wire = await dial(line.port, { infoHash })
    try {
      const h = wire.peerHandshake!
      expect(h.fast).toBe(true)
      expect(h.extended).toBe(true)
      expect(wire.fast).toBe(true)
      wire.haveNone()

      // ut_metadata from only the info hash, verified by the wire and again here.
      const info = await wire.fetchMetadata()
      expect(Buffer.from(sha1(info)).equals(Buffer.from(infoHash))).toBe(true)
      expect(wire.peerExtended?.metadataSize).toBe(info.length)
      expect(wire.peerExtended?.yourip && bytesToIp(wire.peerExtended.yourip)).toBe('127.0.0.1')
      const { pieceCount, length } = await downloadAndCheck(wire, info, [0, 2, -1])
      expect(length).toBe(data.length)
      expect(wire.peerHasAll || wire.peerPieces.hasAll(pieceCount)).toBe(true)
      expect(wire.downloaded).toBe(2 * pieceLength + (length - pieceLength * (pieceCount - 1)))
    } finally {
      wire.destroy()
      await child.stop()
    }
  })

  it('fetches v2 hashes with a hash request and verifies them against the merkle root', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const dir = { path: await scratchDir('peer-wire-lt2-') }
    const pieceLength = 32768
    const size = 9 * pieceLength + 5000 // 10 pieces, 19 leaves
    const { path, data } = await randomFile(dir.path, 'content.bin', size)
    const { child, line } = await runLtScript(
      {
        content: path,
        torrent: `${dir.path}/v2.torrent`,
        port: await freePort(),
        version: 'v2',
        pieceLength,
      },
      'ready',
    )
    const infoHashV2 = fromHex(line.infoHashV2!)
    const wire = await dial(line.port, { infoHash: infoHashV2.subarray(0, 20), infoHashV2, v2: true })
    try {
      wire.haveNone()
      const info = await wire.fetchMetadata()
      expect(Buffer.from(sha256(info)).equals(Buffer.from(infoHashV2))).toBe(true)
      const tree = parseInfo(info)['file tree'] as BencodeDict
      const file = (tree['content.bin'] as BencodeDict)[''] as BencodeDict
      const piecesRoot = file['pieces root'] as Uint8Array
      expect(file.length).toBe(size)

      // Our own merkle tree of the file: 16 KiB leaves, zero-padded to a power of two (BEP 52).
      const leaves: Uint8Array[] = []
      for (let o = 0; o < size; o += 16384) leaves.push(sha256(data.subarray(o, o + 16384)))
      const layers = merkleLayers(leaves)
      expect(Buffer.from(layers.at(-1)![0]!).equals(Buffer.from(piecesRoot))).toBe(true)
      const pieceLayer = layers[1]! // 32 KiB pieces = 2 leaves

      // Ask for the first 8 piece-layer hashes with proofs up to the root.
      // 16 entries: the root is 4 layers up; uncles are needed up to the layer below it (libtorrent: < layers - base)
      const proofLayers = Math.log2(pieceLayer.length) - 1
      const answer = await wire.hashRequest({ piecesRoot, baseLayer: 1, index: 0, length: 8, proofLayers })
      const hashes = split32(answer.hashes)
      expect(hashes.length).toBeGreaterThanOrEqual(8)
      for (let i = 0; i < 8; i++)
        expect(Buffer.from(hashes[i]!).equals(Buffer.from(pieceLayer[i]!))).toBe(true)
      // Walk up from the 8 base hashes with the uncle hashes to the root.
      let level = hashes.slice(0, 8)
      while (level.length > 1) level = pairUp(level)
      let node = level[0]!
      for (const uncle of hashes.slice(8)) node = sha256(Buffer.concat([node, uncle])) // index 0: always a left child
      expect(Buffer.from(node).equals(Buffer.from(piecesRoot))).toBe(true)

      // And a v2 block still verifies against its leaf hash.
      wire.interested()
      await unchoked(wire)
      const block = await wire.request(3, 16384, 16384)
      expect(Buffer.from(sha256(block)).equals(Buffer.from(leaves[7]!))).toBe(true)
    } finally {
      wire.destroy()
      await child.stop()
    }
  })
})

function pairUp(level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = []
  for (let i = 0; i < level.length; i += 2) next.push(sha256(Buffer.concat([level[i]!, level[i + 1]!])))
  return next
}

function merkleLayers(leaves: Uint8Array[]): Uint8Array[][] {
  let width = 1
  while (width < leaves.length) width *= 2
  let pad: Uint8Array = new Uint8Array(32)
  let level = [...leaves]
  while (level.length < width) level.push(pad)
  const layers = [level]
  while (level.length > 1) {
    level = pairUp(level)
    pad = sha256(Buffer.concat([pad, pad]))
    layers.push(level)
  }
  return layers
}

function split32(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let o = 0; o < b.length; o += 32) out.push(b.subarray(o, o + 32))
  return out
}

describe('libtorrent downloading from a Wire', () => {
  it('gets the metadata and every piece from our wire, from only the info hash', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const dir = await scratchDir('peer-wire-lt-serve-')
    const pieceLength = 32768
    const { path, data } = await randomFile(dir, 'served.bin', 6 * pieceLength + 777)
    const created = await runLtScript(
      { content: path, torrent: `${dir}/s.torrent`, port: 0, version: 'v1', pieceLength, createOnly: true },
      'torrent',
    )
    await created.child.stop()
    const torrent = decode(await readFile(`${dir}/s.torrent`), { spans: true }) as BencodeDict
    const info = rawBytes(torrent.info)!
    const infoHash = fromHex(created.line.infoHash!)
    expect(Buffer.from(sha1(info)).equals(Buffer.from(infoHash))).toBe(true)
    const pieceCount = Math.ceil(data.length / pieceLength)

    const served: Wire[] = []
    const server = createServer((socket) => {
      const wire = new Wire(socket, {
        infoHash,
        peerId: generatePeerId(),
        metadata: info,
        pieceCount,
        pieceLength,
        length: data.length,
      })
      served.push(wire)
      wire.on('handshake', () => {
        wire.handshake()
        wire.haveAll()
      })
      wire.on('interested', () => wire.unchoke())
      wire.on('request', (r) => {
        const start = r.index * pieceLength + r.begin
        wire.piece(r.index, r.begin, data.subarray(start, start + r.length))
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const out = await scratchDir('peer-wire-lt-leech-')
    try {
      const leecher = await runLtScript(
        { mode: 'leech', infoHash: created.line.infoHash, peer: `127.0.0.1:${port}`, dir: out },
        'done',
      )
      await leecher.child.stop()
      const copy = await readFile(`${out}/served.bin`)
      expect(copy.equals(data)).toBe(true)
      const wire = served.find((w) => w.uploaded > 0)!
      expect(wire.uploaded).toBe(data.length)
      expect(wire.peerHandshake?.fast && wire.peerHandshake.extended).toBe(true)
    } finally {
      for (const w of served) w.destroy()
      server.close()
    }
  })
})
