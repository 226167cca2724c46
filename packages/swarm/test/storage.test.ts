import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { alignedBuffer, confinedPath, FileHandleCache, Storage, SwarmError } from '@p2p/swarm'
import { tempDir } from '@p2p/test-utils'
import { afterEach, describe, expect, it } from 'vitest'

const dirs: { remove: () => Promise<void> }[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove()
})
async function dir(): Promise<string> {
  const d = await tempDir('swarm-storage-')
  dirs.push(d)
  return d.path
}
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

describe('Storage', () => {
  it('maps piece space across files and skips pad files', async () => {
    const d = await dir()
    const files = [
      { path: ['t', 'a.bin'], length: 10, offset: 0 },
      { path: ['t', '.pad', '6'], length: 6, offset: 10, pad: true },
      { path: ['t', 'b.bin'], length: 20, offset: 16 },
    ]
    const s = new Storage({ dir: d, files })
    expect(s.length).toBe(36)
    const data = bytes(36)
    data.fill(0, 10, 16)
    await s.write(0, data.subarray(0, 20))
    await s.write(20, data.subarray(20))
    expect(await s.read(0, 36)).toEqual(data)
    expect(await s.read(8, 10)).toEqual(data.subarray(8, 18))
    await s.close()
    expect(new Uint8Array(await readFile(join(d, 't', 'a.bin')))).toEqual(data.subarray(0, 10))
    expect(new Uint8Array(await readFile(join(d, 't', 'b.bin')))).toEqual(data.subarray(16))
    expect(existsSync(join(d, 't', '.pad'))).toBe(false)
    expect(s.filesIn(5, 20)).toEqual([0, 1, 2])
  })

  it('reads missing data as zeros', async () => {
    const s = new Storage({ dir: await dir(), files: [{ path: ['x'], length: 8, offset: 0 }] })
    expect(await s.read(0, 8)).toEqual(new Uint8Array(8))
    await s.close()
  })

  it('keeps bytes of unselected files in the part file', async () => {
    const d = await dir()
    const files = [
      { path: ['a'], length: 10, offset: 0 },
      { path: ['b'], length: 10, offset: 10 },
      { path: ['c'], length: 10, offset: 20 },
    ]
    const s = new Storage({ dir: d, files, selected: [true, false, true], partFile: join(d, '.parts') })
    const data = bytes(30)
    await s.write(0, data)
    expect(await s.read(0, 30)).toEqual(data)
    await s.close()
    expect(existsSync(join(d, 'b'))).toBe(false)
    expect((await readFile(join(d, 'c'))).length).toBe(10)
    expect(s.isSelected(1)).toBe(false)
  })

  it('creates empty files and reports sizes and mtimes', async () => {
    const d = await dir()
    const s = new Storage({
      dir: d,
      files: [
        { path: ['e'], length: 0, offset: 0 },
        { path: ['f'], length: 4, offset: 0 },
      ],
      preallocate: true,
    })
    await s.createEmptyFiles()
    await s.write(0, bytes(1))
    const st = await s.fileStates()
    expect(st[0]?.size).toBe(0)
    expect(st[1]?.size).toBe(4)
    await s.close()
  })

  it('refuses paths that leave the directory', async () => {
    const d = await dir()
    for (const path of [
      ['..', 'x'],
      ['a', '..', '..', 'x'],
      ['/etc/passwd'],
      ['a/b'],
      ['a\\b'],
      [''],
      ['.'],
      ['a\0b'],
      [],
    ]) {
      expect(() => new Storage({ dir: d, files: [{ path, length: 1, offset: 0 }] })).toThrow(SwarmError)
      try {
        confinedPath(d, path)
      } catch (err) {
        expect((err as SwarmError).code).toBe('SWARM_PATH_TRAVERSAL')
      }
    }
    expect(await readdir(d)).toEqual([])
  })

  it('refuses two files at one path and non-contiguous offsets', async () => {
    const d = await dir()
    expect(
      () =>
        new Storage({
          dir: d,
          files: [
            { path: ['a'], length: 1, offset: 0 },
            { path: ['a'], length: 1, offset: 1 },
          ],
        }),
    ).toThrow(/share/)
    expect(() => new Storage({ dir: d, files: [{ path: ['a'], length: 1, offset: 5 }] })).toThrow(SwarmError)
  })

  it('rejects ranges outside piece space', async () => {
    const s = new Storage({ dir: await dir(), files: [{ path: ['a'], length: 4, offset: 0 }] })
    await expect(s.read(2, 4)).rejects.toMatchObject({ code: 'SWARM_OUT_OF_RANGE' })
    await expect(s.write(-1, bytes(1))).rejects.toMatchObject({ code: 'SWARM_OUT_OF_RANGE' })
  })

  it('turns fs failures into SWARM_STORAGE', async () => {
    const d = await dir()
    await writeFile(join(d, 'blocker'), 'x')
    const s = new Storage({ dir: d, files: [{ path: ['blocker', 'inside'], length: 4, offset: 0 }] })
    await expect(s.write(0, bytes(4))).rejects.toMatchObject({ code: 'SWARM_STORAGE' })
  })
})

describe('Storage with O_DIRECT writes', () => {
  const files = [
    { path: ['d', 'a.bin'], length: 5000, offset: 0 },
    { path: ['d', 'b.bin'], length: 700_000, offset: 5000 },
    { path: ['d', 'c.bin'], length: 600_001, offset: 705_000 },
  ]
  const total = 1_305_001
  const pieceLength = 512 * 1024

  for (const directIo of [true, false]) {
    it(`writes aligned piece buffers across unaligned file boundaries and tails (directIo ${directIo})`, async () => {
      const d = await dir()
      const s = new Storage({ dir: d, files, directIo, preallocate: true })
      const data = bytes(total, 7)
      // Pieces out of order, from page-aligned buffers as a download writes them.
      for (const i of [2, 0, 1]) {
        const len = Math.min(pieceLength, total - i * pieceLength)
        const buf = alignedBuffer(len)
        buf.set(data.subarray(i * pieceLength, i * pieceLength + len))
        await s.write(i * pieceLength, buf)
      }
      expect(Buffer.compare(await s.read(0, total), data)).toBe(0)
      // Rewriting a piece (a failed one) over bytes already on disk.
      const again = alignedBuffer(pieceLength)
      again.set(data.subarray(pieceLength, 2 * pieceLength))
      await s.write(pieceLength, again)
      await s.close()
      for (const f of files) {
        const got = await readFile(join(d, ...f.path))
        expect(Buffer.compare(got, data.subarray(f.offset, f.offset + f.length))).toBe(0)
      }
    })
  }

  it('gives page-aligned buffers of the asked length', () => {
    for (const n of [1, 4095, 4096, 1 << 20, 1_000_001]) expect(alignedBuffer(n).length).toBe(n)
  })
})

describe('FileHandleCache', () => {
  it('keeps at most max handles open', async () => {
    const d = await dir()
    const files = Array.from({ length: 12 }, (_, i) => ({ path: [`f${i}`], length: 3, offset: i * 3 }))
    const cache = new FileHandleCache(3)
    const s = new Storage({ dir: d, files, maxOpenFiles: 3 })
    for (let i = 0; i < 12; i++) await s.write(i * 3, bytes(3, i))
    for (let i = 0; i < 12; i++) expect(await s.read(i * 3, 3)).toEqual(bytes(3, i))
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.write(i * 3, bytes(3, i + 1))))
    for (let i = 0; i < 12; i++) expect(await s.read(i * 3, 3)).toEqual(bytes(3, i + 1))
    await s.close()
    for (let i = 0; i < 5; i++) await cache.use(join(d, `f${i}`), false, async () => {})
    expect(cache.size).toBeLessThanOrEqual(3)
    await cache.close()
    expect(cache.size).toBe(0)
  })
})
