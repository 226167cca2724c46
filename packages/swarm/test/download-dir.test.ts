import { readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTorrent } from '@p2p/metainfo'
import type { SwarmError, Torrent } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-dldir-', { hashThreads: 2 })

/** The error that refused the torrent (at add, or its first `error` event), or 'done' when it completed. */
function outcome(added: Promise<Torrent>): Promise<SwarmError | 'done'> {
  return added.then(
    (t) =>
      new Promise((resolve) => {
        t.once('error', (e) => resolve(e as SwarmError))
        void t.done.then(() => resolve('done'))
      }),
    (err: SwarmError) => err,
  )
}

describe('links planted in the download directory are not followed', () => {
  it('a symlink named like the torrent file: the file outside is not overwritten', async () => {
    const src = await dir()
    await writeContent(src, { 'plant.bin': 100_000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'plant.bin'))
    const outside = join(await dir(), 'victim')
    await writeFile(outside, 'precious')
    const d = await dir()
    await symlink(outside, join(d, 'plant.bin'))
    const end = await outcome(client().add(st.metainfo!, { path: d, peers: [local(seeder)] }))
    expect(await readFile(outside, 'utf8')).toBe('precious')
    expect(end).toMatchObject({ code: 'SWARM_PATH_TRAVERSAL' })
  })

  it('a symlinked parent directory: nothing is written through it', async () => {
    const src = await dir()
    await writeContent(src, { 'album/sub/a.bin': 50_000, 'album/b.bin': 1000 })
    const seeder = client()
    const st = await seeder.seed(join(src, 'album'))
    const outside = await dir()
    const d = await dir()
    await symlink(outside, join(d, 'album'))
    const end = await outcome(client().add(st.metainfo!, { path: d, peers: [local(seeder)] }))
    expect(end).toMatchObject({ code: 'SWARM_PATH_TRAVERSAL' })
    expect(await differing(outside, new Map([['sub/a.bin', Buffer.alloc(0)]]))).toEqual(['sub/a.bin'])
    await expect(readFile(join(outside, 'b.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('bookkeeping files cannot be named by a torrent', () => {
  it("a torrent whose file is named like another torrent's resume file leaves that resume intact", async () => {
    const src = await dir()
    const content = await writeContent(src, { 'a/x.bin': 200_000 })
    const seeder = client()
    const a = await seeder.seed(join(src, 'a'))
    const d = await dir()
    const c1 = client()
    const t1 = await c1.add(a.metainfo!, { path: d, peers: [local(seeder)] })
    await doneWithin(t1, 30_000)
    await c1.close()
    // the old place of a's resume file, as a torrent's single file
    const evil = await writeContent(src, { [`.${a.infoHash}.resume`]: 5000 })
    const b = await seeder.seed(join(src, `.${a.infoHash}.resume`))
    const c2 = client()
    await doneWithin(await c2.add(b.metainfo!, { path: d, peers: [local(seeder)] }), 30_000)
    await c2.close()
    expect(await differing(d, evil)).toEqual([])
    // a resumes from its own resume file: no warning, nothing to fetch
    const c3 = client()
    const t3 = await c3.add(a.metainfo!, { path: d })
    const warnings: string[] = []
    t3.on('warning', (w) => warnings.push(w.message))
    await doneWithin(t3, 30_000)
    await new Promise((r) => setImmediate(r)) // setup warnings are emitted on the next turn
    expect(warnings).toEqual([])
    expect(await differing(d, content)).toEqual([])
  })

  it('a torrent named like the bookkeeping directory is refused', async () => {
    const src = await dir()
    await writeContent(src, { '.P2P-State/x.resume': 1000 })
    const { metainfo } = await createTorrent(join(src, '.P2P-State'))
    await expect(client().add(metainfo, { path: await dir() })).rejects.toMatchObject({
      code: 'SWARM_PATH_TRAVERSAL',
    })
  })
})
