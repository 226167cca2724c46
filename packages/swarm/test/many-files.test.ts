import { createHash } from 'node:crypto'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encode } from '@p2p/bencode'
import { parseTorrent } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { useSession } from './helpers.js'

const { dir, client } = useSession('swarm-many-', { hashThreads: 1 })

const FILES = 100_000
const PIECE = 16_384

/** File `i`: 100 bytes (file 50,000 is empty), in 100 directories. */
const fileLength = (i: number) => (i === 50_000 ? 0 : 100)
const filePath = (i: number) => [`d${i % 100}`, `f${i}.txt`]

/** A v1 torrent of {@link FILES} files whose bytes are `i % 251` at piece-space offset `i`. */
function manyFiles(): { torrent: Uint8Array; length: number } {
  const files = Array.from({ length: FILES }, (_, i) => ({ length: fileLength(i), path: filePath(i) }))
  const length = files.reduce((a, f) => a + f.length, 0)
  const hashes: Buffer[] = []
  for (let o = 0; o < length; o += PIECE) {
    hashes.push(
      createHash('sha1')
        .update(bytesAt(o, Math.min(PIECE, length - o)))
        .digest(),
    )
  }
  return {
    torrent: encode({ info: { files, name: 'many', 'piece length': PIECE, pieces: Buffer.concat(hashes) } }),
    length,
  }
}

const PATTERN = Uint8Array.from({ length: PIECE + 251 }, (_, k) => k % 251)

function bytesAt(offset: number, length: number): Uint8Array {
  return PATTERN.subarray(offset % 251, (offset % 251) + length)
}

describe('a torrent of 100,000 files (issue 21, finding 10)', () => {
  it('is parsed, set up for download and checked against what is on disk', async () => {
    const { torrent, length } = manyFiles()
    const meta = parseTorrent(torrent)
    expect(meta.files).toHaveLength(FILES)
    expect(meta.files[FILES - 1]!.path).toEqual(['many', 'd99', `f${FILES - 1}.txt`])
    // The files of the first two pieces are already there (the last one only in part).
    const out = await dir()
    let offset = 0
    for (let i = 0; offset < 2 * PIECE; i++) {
      await mkdir(join(out, 'many', filePath(i)[0]!), { recursive: true })
      await writeFile(join(out, 'many', ...filePath(i)), bytesAt(offset, fileLength(i)))
      offset += fileLength(i)
    }
    const t = await client().add(torrent, { path: out, resume: false })
    expect(t.metainfo!.files).toHaveLength(FILES)
    expect(t.stats().progress).toBe((2 * PIECE) / length)
    expect(t.availability(0)).toBe(0)
    // The empty file is created at once; the others wait for their data.
    expect((await stat(join(out, 'many', ...filePath(50_000)))).size).toBe(0)
    await expect(stat(join(out, 'many', ...filePath(FILES - 1)))).rejects.toThrow()
  })
})
