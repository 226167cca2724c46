import { createTorrent, MetainfoError, parseTorrent, verifyPieceLayer } from '@p2p/metainfo'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'

/** Runs per property: small in CI, more with `pnpm fuzz` (FUZZ_RUNS). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300)

describe('fuzz: .torrent files with piece layers', () => {
  const torrents: { bytes: Uint8Array; layerAt: number; layerLength: number }[] = []
  beforeAll(async () => {
    for (const [version, pieceLength] of [
      [2, 16384],
      ['hybrid', 16384],
      [2, 32768],
    ] as const) {
      const bytes = new Uint8Array(pieceLength * 9 + 77).map((_, i) => (i * 13) & 255)
      const { torrent, metainfo } = await createTorrent(
        [
          { path: ['a.bin'], length: bytes.length, bytes },
          { path: ['b.bin'], length: 1000, bytes: bytes.subarray(0, 1000) },
        ],
        { version, pieceLength, name: 'f', creationDate: false },
      )
      const layer = [...metainfo.pieceLayers.values()][0]!
      torrents.push({
        bytes: torrent,
        layerAt: Buffer.from(torrent).indexOf(Buffer.from(layer)),
        layerLength: layer.length,
      })
    }
  })

  it('a parse either fails with a MetainfoError or keeps only layers that hash to their roots', () => {
    fc.assert(
      fc.property(
        fc.nat(2),
        fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.boolean()), { minLength: 1, maxLength: 6 }),
        (which, edits) => {
          const t = torrents[which]!
          const b = t.bytes.slice()
          for (const [at, value, inLayer] of edits) {
            // half the edits inside the piece layer (outside the info dict: the info hash holds)
            const i = inLayer ? t.layerAt + (at % t.layerLength) : at % b.length
            b[i] = value
          }
          let m: ReturnType<typeof parseTorrent>
          try {
            m = parseTorrent(b)
          } catch (err) {
            expect(err).toBeInstanceOf(MetainfoError)
            return
          }
          for (const f of m.files) {
            if (!f.piecesRoot) continue
            const layer = m.pieceLayers.get(Buffer.from(f.piecesRoot).toString('hex'))
            if (layer) expect(verifyPieceLayer(layer, m.pieceLength, f.piecesRoot)).toBe(true)
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})
