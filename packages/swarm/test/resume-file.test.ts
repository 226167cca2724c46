import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encode } from '@p2p/bencode'
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

  it('round-trips file priorities; a file without them (older format) still loads', async () => {
    const d = await tempDir('swarm-resume-')
    dirs.push(d)
    const path = join(d.path, 'p.resume')
    const files = [{ size: 5, mtimeMs: 1 }, undefined, undefined]
    await writeResumeFile(path, { infoHash: ih, have: new Bitfield(4), files, filePriorities: [7, 0, 1] })
    const r = await readResumeFile(path, { infoHash: ih, pieceCount: 4, fileCount: 3 })
    expect(r!.filePriorities).toEqual([7, 0, 1])
    expect(r!.ignored).toEqual([])
    await writeResumeFile(path, { infoHash: ih, have: new Bitfield(4), files })
    const old = await readResumeFile(path, { infoHash: ih, pieceCount: 4, fileCount: 3 })
    expect(old!.filePriorities).toBeUndefined()
    expect(old!.ignored).toEqual([])
    expect(old!.files).toEqual([{ size: 5, mtimeMs: 1 }, undefined, undefined])
  })

  it('ignores invalid saved priorities (wrong length, out of range, wrong type) and loads the rest', async () => {
    const d = await tempDir('swarm-resume-')
    dirs.push(d)
    const path = join(d.path, 'h.resume')
    const have = new Bitfield(4)
    have.set(2)
    const base = {
      format: 'p2p-swarm resume v1',
      'info-hash': ih,
      'piece-count': 4,
      pieces: have.buffer,
      files: [[5, 1], [], []],
    }
    const hostile = [
      [],
      [4, 4],
      [4, 4, 4, 4],
      [4, 8, 4],
      [4, -1, 4],
      [4, 2 ** 40, 4],
      'abc',
      7,
      [4, 'x', 4],
      [[4], 4, 4],
      {},
    ]
    for (const bad of hostile) {
      await writeFile(path, encode({ ...base, 'file-priorities': bad }))
      const r = await readResumeFile(path, { infoHash: ih, pieceCount: 4, fileCount: 3 })
      expect(r!.filePriorities, JSON.stringify(bad)).toBeUndefined()
      expect(r!.ignored).toEqual([expect.stringMatching(/file-priorities ignored/)])
      expect([...r!.have.ones()]).toEqual([2])
    }
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
