import { open, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import { STATE_DIR, type SwarmError } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, warningsOf, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-resume-lost-', { hashThreads: 2 })

describe('a resume file lost to a power loss (written without fsync)', () => {
  it('an empty resume file is ignored with a warning: every piece on disk is hashed again', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'f.bin': 100_000 })
    const { torrent } = await createTorrent(join(src, 'f.bin'), { version: 1, pieceLength: 16384 })
    const seeder = client()
    await seeder.seed(join(src, 'f.bin'), { torrent })
    const d = await dir()
    const c1 = client()
    const t1 = await c1.add(torrent, { path: d, peers: [local(seeder)] })
    await doneWithin(t1, 30_000, 'first session')
    await c1.close()

    // Piece 0's bytes go bad on disk while the file keeps its size and mtime.
    const file = join(d, 'f.bin')
    const before = await stat(file)
    const fh = await open(file, 'r+')
    await fh.write(new Uint8Array(16384), 0, 16384, 0)
    await fh.close()
    // Half a millisecond in: a whole one in float seconds may land a hair below, on the previous ms.
    const mtime = (Math.floor(before.mtimeMs) + 0.5) / 1000
    await utimes(file, mtime, mtime)

    // With its resume file, the unchanged file is trusted without hashing (as libtorrent does).
    const c2 = client()
    const t2 = await c2.add(torrent, { path: d })
    expect(await warningsOf(t2)).toEqual([])
    expect(t2.complete).toBe(true)
    expect(t2.resumedPieces).toBe(7)
    await c2.close()

    // What a power loss can leave of a resume file renamed but not synced: an empty file.
    await writeFile(join(d, STATE_DIR, `${t2.infoHash}.resume`), '')
    const c3 = client()
    const t3 = await c3.add(torrent, { path: d, peers: [local(seeder)] })
    const warnings = await warningsOf(t3)
    expect(warnings.map((w) => (w.error as SwarmError | undefined)?.code)).toContain('SWARM_BAD_RESUME')
    expect(t3.resumedPieces).toBe(0)
    await doneWithin(t3, 30_000, 'after the lost resume file')
    expect(await differing(d, content)).toEqual([])
  })
})
