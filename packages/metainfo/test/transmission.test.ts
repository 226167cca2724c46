// compat 'transmission-3': transmission-create 3.00's order, omissions, private flag and piece length
// (observed on transmission-create 3.00 (bb6b5a062e); the fixtures and the interop test check hashes).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compareTransmission3, createTorrent, transmission3PieceLength } from '@p2p/metainfo'
import { tempDir } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'

describe("compat 'transmission-3'", () => {
  it('orders files as transmission-create 3.00 wrote them', () => {
    // the `files` order transmission-create 3.00 wrote for a directory holding these files
    const written = [
      'ä/z',
      'éé',
      '[x',
      '_u',
      'a b.c',
      'a b/y',
      'a-',
      'a.txt',
      'a/x',
      'A_up/q',
      'Bdir/x',
      'e',
      'Z',
      '~t',
    ].map((p) => p.split('/'))
    const shuffled = [...written].reverse()
    expect(shuffled.sort(compareTransmission3)).toEqual(written)
    // a longer name whose next byte is non-ASCII sorts before its prefix (signed char vs NUL)
    expect([['ab'], ['abé'], ['sub', 'x'], ['su']].sort(compareTransmission3)).toEqual([
      ['abé'],
      ['ab'],
      ['su'],
      ['sub', 'x'],
    ])
  })

  it('picks the piece length as bestPieceSize', () => {
    const MiB = 1024 * 1024
    expect(transmission3PieceLength(1)).toBe(32768)
    expect(transmission3PieceLength(50 * MiB - 1)).toBe(32768)
    expect(transmission3PieceLength(50 * MiB)).toBe(65536)
    expect(transmission3PieceLength(150 * MiB)).toBe(131072)
    expect(transmission3PieceLength(350 * MiB)).toBe(262144)
    expect(transmission3PieceLength(512 * MiB)).toBe(524288)
    expect(transmission3PieceLength(1024 * MiB)).toBe(MiB)
    expect(transmission3PieceLength(2048 * MiB)).toBe(2 * MiB)
    expect(transmission3PieceLength(2 ** 45)).toBe(2 * MiB)
  })

  it('leaves out empty files, dot-files and attributes, writes private 0 and orders files its way', async () => {
    const dir = await tempDir('metainfo-tr3-')
    try {
      const root = join(dir.path, 'set')
      for (const [p, body] of [
        ['B.txt', 'b'],
        ['a/x', 'x'],
        ['a b', 'ab'],
        ['.hidden', 'h'],
        ['sub/.git/config', 'c'],
        ['empty', ''],
      ] as const) {
        await mkdir(join(root, p, '..'), { recursive: true })
        await writeFile(join(root, p), body, { mode: 0o755 })
      }
      const { metainfo } = await createTorrent(root, { compat: 'transmission-3', creationDate: false })
      expect(metainfo.version).toBe(1)
      expect(metainfo.pieceLength).toBe(32768)
      expect(metainfo.private).toBe(false)
      expect(metainfo.files.map((f) => [f.path.join('/'), f.attr])).toEqual([
        ['set/a b', undefined],
        ['set/a/x', undefined],
        ['set/B.txt', undefined],
      ])
      const info = Buffer.from(metainfo.info).toString('latin1')
      expect(info).toContain('7:privatei0e')
      expect(info).not.toContain('4:attr')
      const priv = await createTorrent(root, { compat: 'transmission-3', private: true, creationDate: false })
      expect(priv.metainfo.private).toBe(true)
      // one file in a directory stays a `files` list, as transmission-create writes it
      const one = await createTorrent(join(root, 'a'), { compat: 'transmission-3', creationDate: false })
      expect(Buffer.from(one.metainfo.info).toString('latin1')).toContain('5:files')
      await expect(createTorrent(root, { compat: 'transmission-3', version: 2 })).rejects.toMatchObject({
        code: 'METAINFO_INVALID_OPTION',
      })
      await expect(createTorrent(root, { compat: 'qbittorrent' as 'libtorrent' })).rejects.toMatchObject({
        code: 'METAINFO_INVALID_OPTION',
      })
    } finally {
      await dir.remove()
    }
  })
})
