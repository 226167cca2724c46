import { join } from 'node:path'
import { Client, type PieceEvent } from '@p2p/swarm'
import { tempDir } from '@p2p/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { differing, doneWithin, v1Torrent, writeContent } from './helpers.js'

const cleanup: (() => Promise<void>)[] = []
const removeDirs: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
  for (const f of removeDirs.splice(0)) await f()
})
async function dir(): Promise<string> {
  const d = await tempDir('swarm-client-')
  removeDirs.push(d.remove)
  return d.path
}
function client(): Client {
  const c = new Client({ host: '127.0.0.1', hashThreads: 2 })
  cleanup.push(() => c.close())
  return c
}
const local = (c: Client) => ({ host: '127.0.0.1', port: c.port })

describe('Client over a hand-made v1 torrent', () => {
  it('seeder -> two leechers, byte-identical', async () => {
    const src = await dir()
    const content = await writeContent(src, { 'd/a.bin': 300_000, 'd/b.bin': 90_000 })
    const torrent = await v1Torrent(
      'd',
      [
        { path: ['a.bin'], bytes: content.get('d/a.bin')! },
        { path: ['b.bin'], bytes: content.get('d/b.bin')! },
      ],
      32768,
    )
    const seeder = client()
    const st = await seeder.seed(join(src, 'd'), { torrent })
    expect(st.complete).toBe(true)
    const a = client()
    const b = client()
    const da = await dir()
    const db = await dir()
    const ta = await a.add(torrent, { path: da, peers: [local(seeder)] })
    const tb = await b.add(torrent, { path: db, peers: [local(seeder), local(a)] })
    const pieces: PieceEvent[] = []
    ta.on('piece', (e) => pieces.push(e))
    await Promise.all([doneWithin(ta, 30_000, 'a'), doneWithin(tb, 30_000, 'b')])
    expect(await differing(da, content)).toEqual([])
    expect(await differing(db, content)).toEqual([])
    expect(pieces.every((p) => p.ok && p.algorithm === 'sha1')).toBe(true)
    expect(ta.stats().progress).toBe(1)
  })
})
