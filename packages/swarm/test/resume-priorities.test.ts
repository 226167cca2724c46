import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encode } from '@p2p/bencode'
import { createTorrent } from '@p2p/metainfo'
import { readResumeFile, STATE_DIR, writeResumeFile } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, warningsOf, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-resume-prio-', { hashThreads: 2 })

/** low.bin, skip.bin and top.bin (pieces span two files), seeded by a client of ours. */
async function threeFiles() {
  const src = await dir()
  const content = await writeContent(src, { 'p/low.bin': 60_000, 'p/skip.bin': 40_000, 'p/top.bin': 50_000 })
  const { torrent, metainfo: meta } = await createTorrent(join(src, 'p'), { version: 1, pieceLength: 16384 })
  const index = (name: string) => meta.files.findIndex((f) => f.path.join('/') === `p/${name}`)
  const seeder = client()
  await seeder.seed(join(src, 'p'), { torrent })
  const only = (...names: string[]) =>
    new Map(names.map((n) => [`p/${n}`, content.get(`p/${n}`)!] as [string, Buffer]))
  return { content, torrent, meta, index, seeder, only }
}

describe('file priorities in the resume file', () => {
  it('survive a restart: a skipped file stays skipped, explicit add options win', async () => {
    const { torrent, meta, index, seeder, only, content } = await threeFiles()
    const [low, skip, top] = [index('low.bin'), index('skip.bin'), index('top.bin')]
    const prios = meta.files.map((_, i) => (i === skip ? 0 : i === top ? 7 : 1))
    const d = await dir()
    const c1 = client()
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)], filePriorities: prios })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()
    expect(existsSync(join(d, 'p', 'skip.bin'))).toBe(false)

    // Restart without priorities: the saved ones apply; nothing is missing, nothing is fetched.
    const c2 = client()
    const t2 = await c2.add(torrent, { path: d })
    expect(t2.filePriorities).toEqual(prios)
    expect(t2.complete).toBe(true)
    expect(t2.filePriorities[low]).toBe(1)
    await t2.setFilePriority(low, 6)
    await c2.close()
    expect(existsSync(join(d, 'p', 'skip.bin'))).toBe(false)
    expect(await differing(d, only('low.bin', 'top.bin'))).toEqual([])

    // A change made at runtime is saved too.
    const c3 = client()
    const t3 = await c3.add(torrent, { path: d })
    expect(t3.filePriorities[low]).toBe(6)
    expect(t3.filePriorities[skip]).toBe(0)
    await c3.close()

    // Explicit add options win over the saved priorities.
    const c4 = client()
    const t4 = await c4.add(torrent, { path: d, peers: [local(seeder)], files: [low, skip, top] })
    expect(t4.filePriorities).toEqual([4, 4, 4])
    await doneWithin(t4, 30_000, 'explicit files')
    expect(await differing(d, content)).toEqual([])
  })

  it('an old resume file (no priorities) still loads, with every file wanted', async () => {
    const { torrent, meta, seeder, content } = await threeFiles()
    const d = await dir()
    const c1 = client()
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)] })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()
    const path = join(d, STATE_DIR, `${t1.infoHash}.resume`)
    const expect_ = { infoHash: t1.infoHashBytes, pieceCount: meta.pieceCount, fileCount: meta.files.length }
    const r = (await readResumeFile(path, expect_))!
    expect(r.filePriorities).toEqual([4, 4, 4])
    // As written before priorities were saved: no `file-priorities` key.
    await writeResumeFile(path, { infoHash: r.infoHash, have: r.have, files: r.files })
    expect((await readResumeFile(path, expect_))!.filePriorities).toBeUndefined()

    const c2 = client()
    const t2 = await c2.add(torrent, { path: d })
    const warnings = await warningsOf(t2)
    expect(t2.complete).toBe(true)
    expect(t2.filePriorities).toEqual([4, 4, 4])
    expect(warnings).toEqual([])
    expect(await differing(d, content)).toEqual([])
  })

  it('ignores hostile saved priorities with a warning, keeping the verified pieces', async () => {
    const { torrent, meta, index, seeder, only } = await threeFiles()
    const skip = index('skip.bin')
    const d = await dir()
    const c1 = client()
    const prios = meta.files.map((_, i) => (i === skip ? 0 : 4))
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)], filePriorities: prios })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()
    const path = join(d, STATE_DIR, `${t1.infoHash}.resume`)
    const r = (await readResumeFile(path, {
      infoHash: t1.infoHashBytes,
      pieceCount: meta.pieceCount,
      fileCount: meta.files.length,
    }))!
    const base = {
      format: 'p2p-swarm resume v1',
      'info-hash': r.infoHash,
      'piece-count': r.have.length,
      pieces: r.have.buffer,
      files: r.files.map((f) => (f ? [f.size, Math.floor(f.mtimeMs)] : [])),
    }
    for (const bad of [[4, 0], [4, 0, 4, 4], [4, 99, 4], [4, -1, 4], 'xyz', [4, [0], 4]]) {
      await writeFile(path, encode({ ...base, 'file-priorities': bad }))
      const c2 = client()
      const t2 = await c2.add(torrent, { path: d, peers: [local(seeder)] })
      const warnings = await warningsOf(t2)
      expect(warnings.map((w) => (w.error as { code?: string }).code)).toEqual(['SWARM_BAD_RESUME'])
      expect(warnings[0]!.message).toMatch(/file-priorities ignored/)
      expect(t2.filePriorities).toEqual([4, 4, 4])
      await doneWithin(t2, 30_000, `second session with ${JSON.stringify(bad)}`)
      await c2.close()
    }
    expect(await differing(d, only('low.bin', 'skip.bin', 'top.bin'))).toEqual([])
  })
})
