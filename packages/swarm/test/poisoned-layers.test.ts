import { join } from 'node:path'
import { createTorrent, parseTorrent, type TorrentVersion } from '@p2p/metainfo'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession, writeContent } from './helpers.js'

const { dir, client, local } = useSession('swarm-poison-', { hashThreads: 2 })

/**
 * An honest seeder of a 16 KiB-piece torrent, and the same .torrent with one byte of its
 * `piece layers` flipped (outside the info dict: the info hash does not change).
 */
async function poisonedSwarm(version: TorrentVersion) {
  const src = await dir()
  const content = await writeContent(src, { 'p/a.bin': 16384 * 40 + 123, 'p/b.bin': 5000 })
  const seeder = client()
  await seeder.seed(join(src, 'p'), { version, pieceLength: 16384 })
  const { torrent, metainfo } = await createTorrent(join(src, 'p'), { version, pieceLength: 16384 })
  const layer = [...metainfo.pieceLayers.values()][0]!
  const at = Buffer.from(torrent).indexOf(Buffer.from(layer))
  const tampered = Uint8Array.from(torrent)
  tampered[at + 5] = tampered[at + 5]! ^ 1
  return { content, seeder, tampered }
}

describe('a .torrent with a tampered piece layer never gets the honest seeder banned', () => {
  for (const version of [2, 'hybrid'] as const) {
    for (const as of ['bytes', 'unchecked Metainfo'] as const) {
      it(`v${version} from ${as}: the download completes from the seeder`, async () => {
        const { content, seeder, tampered } = await poisonedSwarm(version)
        const input = as === 'bytes' ? tampered : parseTorrent(tampered, { verifyPieceLayers: 'none' })
        const c = client()
        const d = await dir()
        const t = await c.add(input, { path: d, peers: [local(seeder)] })
        const bans: string[] = []
        t.on('ban', (b) => bans.push(b.reason))
        await doneWithin(t, 30_000)
        expect(bans).toEqual([])
        expect(await differing(d, content)).toEqual([])
      })
    }
  }
})
