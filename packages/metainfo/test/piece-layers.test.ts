import { createTorrent, parseTorrent, type TorrentVersion } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'

/** A v2 or hybrid torrent of one 8-piece file, and the same bytes with one byte of its piece layer flipped. */
async function poisoned(version: TorrentVersion, pieceLength: number) {
  const bytes = new Uint8Array(pieceLength * 8 + 100).map((_, i) => (i * 7) & 255)
  const { torrent, metainfo } = await createTorrent([{ path: ['a.bin'], length: bytes.length, bytes }], {
    version,
    pieceLength,
    name: 'x',
    creationDate: false,
  })
  const layer = [...metainfo.pieceLayers.values()][0]!
  const at = Buffer.from(torrent).indexOf(Buffer.from(layer))
  expect(at).toBeGreaterThan(0)
  const tampered = Uint8Array.from(torrent)
  tampered[at + 40] = tampered[at + 40]! ^ 1
  return { torrent, tampered, metainfo }
}

describe('piece layers are outside the info dict and checked against their pieces root', () => {
  for (const version of [2, 'hybrid'] as const) {
    it(`v${version}, 16 KiB pieces: a tampered layer is dropped (fetched from peers), the info hash kept`, async () => {
      const { tampered, metainfo } = await poisoned(version, 16384)
      const m = parseTorrent(tampered)
      expect(m.infoHashV2).toBe(metainfo.infoHashV2)
      expect(m.pieceLayers.size).toBe(0)
      expect(() => parseTorrent(tampered, { verifyPieceLayers: 'all' })).toThrow(
        expect.objectContaining({ code: 'METAINFO_INVALID_PIECE_LAYER' }),
      )
      // 'none' trusts the layer as given
      expect(parseTorrent(tampered, { verifyPieceLayers: 'none' }).pieceLayers.size).toBe(1)
    })
    it(`v${version}, 32 KiB pieces: a tampered layer rejects the torrent as libtorrent does`, async () => {
      const { torrent, tampered } = await poisoned(version, 32768)
      expect(parseTorrent(torrent).pieceLayers.size).toBe(1)
      expect(() => parseTorrent(tampered)).toThrow(
        expect.objectContaining({ code: 'METAINFO_INVALID_PIECE_LAYER' }),
      )
    })
  }
  it('an untampered 16 KiB layer is kept', async () => {
    const { torrent } = await poisoned(2, 16384)
    expect(parseTorrent(torrent).pieceLayers.size).toBe(1)
  })
})
