import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Bitfield, readResumeFile, trustedPieces, writeResumeFile } from '@p2p/swarm'
import { tempDir } from '@p2p/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

const dirs: { remove: () => Promise<void> }[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove()
})
const ih = new Uint8Array(20).fill(7)

describe('resume file', () => {
  it('round-trips the verified bitfield and file states atomically', async () => {
    const d = await tempDir('swarm-resume-')
    dirs.push(d)
    const have = new Bitfield(10)
    have.set(1)
    have.set(9)
    const path = join(d.path, 'x.resume')
    await writeResumeFile(path, { infoHash: ih, have, files: [{ size: 5, mtimeMs: 1234.7 }, undefined] })
    expect(await readdir(d.path)).toEqual(['x.resume'])
    const r = await readResumeFile(path, { infoHash: ih, pieceCount: 10, fileCount: 2 })
    expect([...r!.have.ones()]).toEqual([1, 9])
    expect(r!.files).toEqual([{ size: 5, mtimeMs: 1234 }, undefined])
    expect(
      await readResumeFile(join(d.path, 'none'), { infoHash: ih, pieceCount: 10, fileCount: 2 }),
    ).toBeUndefined()
    await expect(
      readResumeFile(path, { infoHash: new Uint8Array(20), pieceCount: 10, fileCount: 2 }),
    ).rejects.toMatchObject({
      code: 'SWARM_BAD_RESUME',
    })
    await expect(readResumeFile(path, { infoHash: ih, pieceCount: 11, fileCount: 2 })).rejects.toMatchObject({
      code: 'SWARM_BAD_RESUME',
    })
  })

  it('rejects garbage', async () => {
    const d = await tempDir('swarm-resume-')
    dirs.push(d)
    const path = join(d.path, 'bad')
    for (const junk of ['', 'i1e', 'd6:format3:abce', 'not bencode at all', 'l'.repeat(50)]) {
      await writeFile(path, junk)
      await expect(readResumeFile(path, { infoHash: ih, pieceCount: 1, fileCount: 1 })).rejects.toMatchObject(
        {
          code: 'SWARM_BAD_RESUME',
        },
      )
    }
  })

  it('a failed write keeps the previous file', async () => {
    const d = await tempDir('swarm-resume-')
    dirs.push(d)
    const path = join(d.path, 'r')
    await writeResumeFile(path, { infoHash: ih, have: new Bitfield(3), files: [] })
    const before = await readFile(path)
    await expect(
      writeResumeFile(join(d.path, 'missing-dir', 'r'), { infoHash: ih, have: new Bitfield(3), files: [] }),
    ).rejects.toMatchObject({ code: 'SWARM_STORAGE' })
    expect(await readFile(path)).toEqual(before)
  })

  it('trusts only pieces whose files are unchanged', () => {
    const have = new Bitfield(4)
    have.fill()
    const resume = {
      infoHash: ih,
      have,
      files: [
        { size: 10, mtimeMs: 1 },
        { size: 10, mtimeMs: 1 },
      ],
    }
    const pieceFiles = (i: number) => (i < 2 ? [0] : i === 2 ? [0, 1] : [1])
    const t = trustedPieces(
      resume,
      [
        { size: 10, mtimeMs: 1 },
        { size: 10, mtimeMs: 2 },
      ],
      pieceFiles,
    )
    expect([...t.ones()]).toEqual([0, 1])
  })
})
