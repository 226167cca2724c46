import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  BLOCK_SIZE,
  blockRoot,
  leafHashes,
  merkleRoot,
  nextPowerOfTwo,
  padHash,
  parseTorrent,
  pieceLayerRoot,
  pieceSpec,
  verifyPiece,
  verifyPieceLayer,
} from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { LT_TORRENTS } from './fixtures.js'

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

describe('merkle helpers (BEP 52)', () => {
  it('pads with zero hashes up to the leaf count', () => {
    const a = sha(Buffer.from('a'))
    const b = sha(Buffer.from('b'))
    const z = new Uint8Array(32)
    expect(merkleRoot([a], 1)).toEqual(a)
    expect(merkleRoot([a, b], 2)).toEqual(sha(a, b))
    expect(merkleRoot([a], 4)).toEqual(sha(sha(a, z), sha(z, z)))
    expect(padHash(1)).toEqual(sha(z, z))
    expect(merkleRoot([], 2)).toEqual(padHash(1))
    expect(() => merkleRoot([a, b, a], 2)).toThrow(RangeError)
    expect(() => merkleRoot([a], 3)).toThrow(RangeError)
  })
  it('hashes 16 KiB leaves, the last one short', () => {
    const data = new Uint8Array(BLOCK_SIZE + 10).fill(9)
    const leaves = leafHashes(data)
    expect(leaves).toHaveLength(2)
    expect(leaves[1]).toEqual(sha(data.subarray(BLOCK_SIZE)))
    expect(blockRoot(data, 4)).toEqual(merkleRoot(leaves, 4))
    expect(verifyPiece(data, { root: blockRoot(data, 2), leafCount: 2 })).toBe(true)
    expect(verifyPiece(data.subarray(1), { root: blockRoot(data, 2), leafCount: 2 })).toBe(false)
    expect(nextPowerOfTwo(5)).toBe(8)
    expect(nextPowerOfTwo(1)).toBe(1)
  })
  it("checks libtorrent's piece layers against their roots", () => {
    const m = parseTorrent(readFileSync(join(LT_TORRENTS, 'v2_only.torrent')))
    const f = m.files[0]!
    const layer = m.pieceLayers.get(Buffer.from(f.piecesRoot!).toString('hex'))!
    expect(verifyPieceLayer(layer, m.pieceLength, f.piecesRoot!)).toBe(true)
    expect(pieceLayerRoot(layer, m.pieceLength)).toEqual(f.piecesRoot)
    const broken = layer.slice()
    broken[40] = broken[40]! ^ 1
    expect(verifyPieceLayer(broken, m.pieceLength, f.piecesRoot!)).toBe(false)
    // pieceSpec hands out the layer entries, 64 KiB pieces = 4 leaves
    const spec = pieceSpec(m, 3)
    expect(spec.sha256).toEqual({ root: layer.subarray(96, 128), leafCount: 4, length: 65536 })
    expect(spec.ranges).toEqual([{ file: 0, offset: 3 * 65536, length: 65536 }])
    expect(() => pieceSpec(m, m.pieceCount)).toThrow(
      expect.objectContaining({ code: 'METAINFO_INVALID_OPTION' }),
    )
    // a hybrid parse keeps both hashes per piece
    const h = parseTorrent(readFileSync(join(LT_TORRENTS, 'v2_hybrid.torrent')))
    const last = pieceSpec(h, h.pieceCount - 1)
    expect(last.sha1).toHaveLength(20)
    expect(h.files[last.ranges[last.ranges.length - 1]!.file]!.pad).toBe(true)
  })
  it('strict piece-layer checking is an option', () => {
    const bytes = readFileSync(join(LT_TORRENTS, 'v2_invalid_root_hash.torrent'))
    expect(parseTorrent(bytes).files).toHaveLength(2)
    expect(() => parseTorrent(bytes, { verifyPieceLayers: 'all' })).toThrow(
      expect.objectContaining({ code: 'METAINFO_INVALID_PIECE_LAYER' }),
    )
  })
})
