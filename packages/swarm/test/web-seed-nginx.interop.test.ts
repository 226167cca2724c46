import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { COMPONENTS, requireComponents, startNginx } from '@p2p/test-utils'
import { describe, expect, it } from 'vitest'
import { differing, doneWithin, useSession } from './helpers.js'
import { WEB_SEED_FILES, webSeedContent } from './web-seed-helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-nginx-', { hashThreads: 1 })

/** A multi-file torrent whose content nginx serves, with nginx's URL in its url-list. */
async function served(sizes: Record<string, number> = WEB_SEED_FILES, limitRate?: number) {
  const root = await dir()
  const nginx = await startNginx(root, { limitRate })
  onCleanup(() => nginx.stop())
  const content = await webSeedContent(root, 'multi', [nginx.url], sizes)
  return { root, nginx, ...content, out: await dir() }
}

describe('web seed on a real nginx (BEP 19)', () => {
  it('downloads a multi-file torrent from nginx alone, with byte ranges across file boundaries', async (ctx) => {
    requireComponents(ctx, COMPONENTS.nginx)
    const { nginx, torrent, files, out } = await served()
    const t = await client().add(torrent, { path: out })
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(t.webSeeds).toMatchObject([{ url: nginx.url, state: 'active', downloaded: 290_001 }])
    const log = await readFile(nginx.accessLog, 'utf8')
    // Every request was a range answered with 206, for paths with a space and a percent sign too.
    const lines = log.trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.every((l) => / "bytes=\d+-\d+" 206 /.test(l))).toBe(true)
    expect(lines.some((l) => l.includes('"/multi/sub dir/d%e.bin"'))).toBe(true)
  })

  it('downloads from nginx and a peer together', async (ctx) => {
    requireComponents(ctx, COMPONENTS.nginx)
    // Both sources at about 1 MB/s (nginx per connection, the seeder in all): neither can finish alone
    // before the other has sent a piece, however fast the machine (unlimited, nginx on loopback took
    // every byte in under 0.5 s and the endgame cancelled the peer's blocks).
    const { root, nginx, torrent, files, out } = await served(
      { ...WEB_SEED_FILES, 'big.bin': 4_000_000 },
      1_000_000,
    )
    const seeder = client()
    const st = await seeder.seed(join(root, 'multi'), { torrent, uploadLimit: 1_000_000 })
    // Through a magnet: the peer gives the metadata and is asked for blocks before the web seed starts.
    const magnet = `${st.magnetURI}&ws=${encodeURIComponent(nginx.url)}`
    const t = await client().add(magnet, { path: out, peers: [local(seeder)] })
    await doneWithin(t, 40_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    const fromWeb = t.webSeeds[0]!.downloaded
    expect(fromWeb).toBeGreaterThan(0)
    // The rest came from the peer.
    expect(t.stats().downloaded).toBeGreaterThan(fromWeb)
  })
})
