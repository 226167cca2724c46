import { join } from 'node:path'
import { pieceSpec } from '@p2p/metainfo'
import type { BanEvent, SwarmWarning } from '@p2p/swarm'
import { describe, expect, it } from 'vitest'
import { planWebSeedJob, webSeedFileUrl } from '../src/web-seed-ranges.js'
import { differing, doneWithin, useSession } from './helpers.js'
import {
  type Misbehaviour,
  startWebServer,
  stopWebServer,
  WEB_SEED_FILES,
  WEB_SEED_PIECE,
  webSeedContent,
} from './web-seed-helpers.js'

const { dir, client, local, onCleanup } = useSession('swarm-webseed-', { hashThreads: 1 })

/** A torrent's content on a test web server (behaving as `policy` says) and a fresh download dir. */
async function setUp(
  policy: (n: number) => Misbehaviour,
  inUrlList = false,
  sizes: Record<string, number> = WEB_SEED_FILES,
) {
  const root = await dir()
  const web = await startWebServer(root, policy)
  onCleanup(() => stopWebServer(web.server))
  const content = await webSeedContent(root, 'multi', inUrlList ? [web.url] : undefined, sizes)
  return { root, web, ...content, out: await dir() }
}

describe('web seed ranges (BEP 19)', () => {
  it('maps blocks onto file ranges across file boundaries, merging runs of one file', async () => {
    const { metainfo } = await webSeedContent(await dir(), 'multi')
    const specs = Array.from({ length: metainfo.pieceCount }, (_, i) => pieceSpec(metainfo, i))
    // Piece 3 holds the end of a.bin (100 000 bytes) and the start of "b c.bin".
    const blocks = [
      { index: 3, begin: 0, length: 16_384 },
      { index: 3, begin: 16_384, length: 16_384 },
      { index: 4, begin: 0, length: 16_384 },
    ]
    const plan = planWebSeedJob(metainfo, specs, blocks)
    expect(plan.size).toBe(3 * 16_384)
    expect(plan.at).toEqual([0, 16_384, 32_768])
    const aEnd = 100_000 - 3 * WEB_SEED_PIECE
    expect(plan.segments).toEqual([
      { file: 0, offset: 3 * WEB_SEED_PIECE, length: aEnd, at: 0 },
      { file: 1, offset: 0, length: 3 * 16_384 - aEnd, at: aEnd },
    ])
  })

  it('leaves pad-file bytes unfetched', () => {
    const meta = {
      files: [
        { path: ['t', 'a'], length: 10, offset: 0, pad: false },
        { path: ['t', '.pad', '6'], length: 6, offset: 10, pad: true },
        { path: ['t', 'b'], length: 16, offset: 16, pad: false },
      ],
    }
    const spec = {
      index: 0,
      offset: 0,
      length: 32,
      ranges: [
        { file: 0, offset: 0, length: 10 },
        { file: 1, offset: 0, length: 6 },
        { file: 2, offset: 0, length: 16 },
      ],
    }
    const plan = planWebSeedJob(meta, [spec], [{ index: 0, begin: 0, length: 32 }])
    expect(plan.segments).toEqual([
      { file: 0, offset: 0, length: 10, at: 0 },
      { file: 2, offset: 0, length: 16, at: 16 },
    ])
  })

  it('builds file URLs: the file itself for a single file, base/name/path percent-encoded otherwise', () => {
    const single = { name: 'a b.iso', files: [{ path: ['a b.iso'], length: 1, offset: 0, pad: false }] }
    expect(webSeedFileUrl('http://h/x/file.iso', single, 0)).toBe('http://h/x/file.iso')
    expect(webSeedFileUrl('http://h/x/', single, 0)).toBe('http://h/x/a%20b.iso')
    const multi = {
      name: 'm',
      files: [
        { path: ['m', 'a'], length: 1, offset: 0, pad: false },
        { path: ['m', 'sub dir', 'd%e#?.bin'], length: 1, offset: 1, pad: false },
      ],
    }
    expect(webSeedFileUrl('http://h/pub', multi, 1)).toBe('http://h/pub/m/sub%20dir/d%25e%23%3F.bin')
    expect(webSeedFileUrl('http://h/pub/', multi, 0)).toBe('http://h/pub/m/a')
  })
})

describe('downloading from web seeds', () => {
  it('downloads a multi-file torrent from its url-list alone, with range requests', async () => {
    const { web, torrent, files, out } = await setUp(() => 'serve', true)
    const t = await client().add(torrent, { path: out })
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(t.webSeeds).toMatchObject([{ url: web.url, state: 'active', downloaded: 290_001, strikes: 0 }])
    expect(web.requests.every((r) => r.includes('bytes='))).toBe(true)
    expect(web.requests.some((r) => r.startsWith('/multi/sub dir/d%e.bin '))).toBe(true)
  })

  it('retries a web seed that answers 503 and then serves', async () => {
    const { web, torrent, files, out } = await setUp((n) => (n <= 2 ? '503' : 'serve'))
    const t = await client().add(torrent, { path: out, webSeeds: [web.url] })
    const warnings: SwarmWarning[] = []
    t.on('warning', (w) => warnings.push(w))
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(warnings.some((w) => /HTTP 503/.test(w.message))).toBe(true)
    expect(t.webSeeds[0]).toMatchObject({ state: 'active', failures: 0 })
  })

  it('abandons a request that gets no answer in time and retries it', async () => {
    const { web, torrent, files, out } = await setUp((n) => (n === 1 ? 'hang' : 'serve'))
    const t = await client().add(torrent, { path: out, webSeeds: [web.url], webSeedTimeout: 1_000 })
    const warnings: SwarmWarning[] = []
    t.on('warning', (w) => warnings.push(w))
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(warnings.some((w) => /no answer in time/.test(w.message))).toBe(true)
  })

  it('bans a web seed that sends wrong bytes and completes from a good one', async () => {
    const bad = await setUp(() => 'corrupt')
    const good = await startWebServer(bad.root, () => 'serve')
    onCleanup(() => stopWebServer(good.server))
    const t = await client().add(bad.torrent, { path: bad.out, webSeeds: [bad.web.url, good.url] })
    const bans: BanEvent[] = []
    t.on('ban', (b) => bans.push(b))
    await doneWithin(t, 30_000)
    expect(await differing(join(bad.out, 'multi'), bad.files)).toEqual([])
    expect(bans).toMatchObject([{ url: bad.web.url, peer: { host: '127.0.0.1' } }])
    expect(t.webSeeds.map((w) => w.state)).toEqual(['banned', 'active'])
    expect(t.webSeeds[0]!.strikes).toBeGreaterThanOrEqual(2)
  })

  it('downloads from a peer while a web seed answers 404, backing off from it', async () => {
    const { root, web, torrent, files, out } = await setUp(() => '404')
    const seeder = client()
    await seeder.seed(join(root, 'multi'), { torrent })
    const t = await client().add(torrent, { path: out, webSeeds: [web.url], peers: [local(seeder)] })
    await doneWithin(t, 30_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(web.requests.length).toBeGreaterThan(0)
    expect(t.webSeeds[0]!.failures).toBeGreaterThan(0)
    expect(t.webSeeds[0]!.downloaded).toBe(0)
  })

  it("uses a magnet's ws= web seed together with a peer that gives the metadata", async () => {
    const sizes = { ...WEB_SEED_FILES, 'big.bin': 3_000_000 }
    const { root, web, torrent, files, out } = await setUp(() => 'serve', false, sizes)
    const seeder = client()
    // A slow peer: the web seed does most of the work.
    const st = await seeder.seed(join(root, 'multi'), { torrent, uploadLimit: 32_768 })
    const magnet = `${st.magnetURI}&ws=${encodeURIComponent(web.url)}`
    const t = await client().add(magnet, { path: out, peers: [local(seeder)] })
    await doneWithin(t, 40_000)
    expect(await differing(join(out, 'multi'), files)).toEqual([])
    expect(t.webSeeds).toMatchObject([{ url: web.url, state: 'active' }])
    expect(t.webSeeds[0]!.downloaded).toBeGreaterThan(0)
  })
})
