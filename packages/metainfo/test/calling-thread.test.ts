import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '@p2p/test-utils'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTorrent, type TorrentVersion } from '../src/index.js'

// hashOnCallingThread: the calling thread claims plan chunks next to threads - 1 workers; the
// torrent must be the same as with workers only.

let dir: Awaited<ReturnType<typeof tempDir>>
let root: string

beforeAll(async () => {
  dir = await tempDir('metainfo-here-')
  root = join(dir.path, 'content')
  await mkdir(join(root, 'sub'), { recursive: true })
  // several 4 MiB chunks, files that do not end on a piece boundary, and a small file
  await writeFile(join(root, 'a.bin'), randomBytes(9 * 1024 * 1024 + 777))
  await writeFile(join(root, 'sub', 'b.bin'), randomBytes(3 * 1024 * 1024 + 5))
  await writeFile(join(root, 'sub', 'c.txt'), 'small file\n')
})

afterAll(() => dir?.remove())

for (const version of [1, 2, 'hybrid'] as TorrentVersion[]) {
  it(`v${version}: the same torrent with the calling thread hashing, progress up to the total`, async () => {
    const base = { version, pieceLength: 65536, creationDate: false as const, threads: 2 }
    const workers = await createTorrent(root, base)
    let last = 0
    let total = 0
    const here = await createTorrent(root, {
      ...base,
      hashOnCallingThread: true,
      onProgress: (done, all) => {
        last = done
        total = all
      },
    })
    expect(Buffer.from(here.torrent).equals(Buffer.from(workers.torrent))).toBe(true)
    expect(last).toBe(total)
    expect(total).toBe(12 * 1024 * 1024 + 777 + 5 + 11)
  })
}

it('threads: 1 with hashOnCallingThread still hashes on one worker, same torrent', async () => {
  const base = { version: 'hybrid' as const, creationDate: false as const }
  const a = await createTorrent(root, { ...base, threads: 1, hashOnCallingThread: true })
  const b = await createTorrent(root, { ...base, threads: 2 })
  expect(a.metainfo.infoHashV2).toBe(b.metainfo.infoHashV2)
  expect(a.metainfo.infoHash).toBe(b.metainfo.infoHash)
})

it('an aborted creation with the calling thread hashing rejects with METAINFO_ABORTED', async () => {
  const ac = new AbortController()
  const p = createTorrent(root, {
    version: 1,
    threads: 2,
    pieceLength: 65536,
    hashOnCallingThread: true,
    signal: ac.signal,
    onProgress: () => ac.abort(),
  })
  await expect(p).rejects.toMatchObject({ code: 'METAINFO_ABORTED' })
})
