import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MetainfoError, parseTorrent } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { LT_ERRORS, LT_TORRENTS } from './fixtures.js'

interface Entry {
  valid: boolean
  error: string | null
  expect?: {
    v1: string | null
    v2: string | null
    name: string
    num_files: number
    total_size: number
    piece_length: number
    num_pieces: number
    paths: string[]
    file_sizes: number[]
    pad_files: number[]
  }
}

const manifest: Record<string, Entry> = JSON.parse(readFileSync(join(LT_TORRENTS, 'MANIFEST.json'), 'utf8'))

describe("libtorrent's test torrents (MANIFEST.json)", () => {
  it('has all 108', () => {
    expect(Object.keys(manifest)).toHaveLength(108)
  })
  for (const [file, entry] of Object.entries(manifest)) {
    it(`${file}: ${entry.valid ? 'loads' : `rejects (${entry.error})`}`, () => {
      const bytes = readFileSync(join(LT_TORRENTS, file))
      if (!entry.valid) {
        let err: unknown
        try {
          parseTorrent(bytes)
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(MetainfoError)
        expect((err as MetainfoError).code).toBe(LT_ERRORS[entry.error!])
        return
      }
      const m = parseTorrent(bytes)
      const e = entry.expect!
      expect(m.infoHash ?? null).toBe(e.v1)
      expect(m.infoHashV2 ?? null).toBe(e.v2)
      expect(m.name).toBe(e.name)
      expect(m.pieceLength).toBe(e.piece_length)
      expect(m.pieceCount).toBe(e.num_pieces)
      expect(m.totalSize).toBe(e.total_size)
      expect(m.files.map((f) => f.path.join('/'))).toEqual(e.paths)
      expect(m.files.map((f) => f.length)).toEqual(e.file_sizes)
      expect(m.files.flatMap((f, i) => (f.pad ? [i] : []))).toEqual(e.pad_files)
      expect(m.files).toHaveLength(e.num_files)
    })
  }
})
