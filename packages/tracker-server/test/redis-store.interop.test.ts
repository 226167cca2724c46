// RedisStore against a real redis-server: store semantics, and two tracker processes sharing one swarm.
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { generatePeerId } from '@p2p/peer-address'
import { COMPONENTS, requireComponents, spawnChild, stopAll, waitFor } from '@p2p/test-utils'
import { announce, scrape, UdpTransport } from '@p2p/tracker-client'
import { createTrackerServer, RedisStore } from '@p2p/tracker-server'
import { afterAll, describe, expect, it } from 'vitest'
import { storeAnnounce } from './helpers.js'
import { startRedis, type TestRedis } from './redis.js'

let redis: TestRedis | undefined
const stores: RedisStore[] = []
const transport = new UdpTransport()
afterAll(async () => {
  transport.close()
  await Promise.all(stores.map((s) => s.close()))
  await stopAll()
  await redis?.stop()
})

async function store(
  ctx: { skip: (note?: string) => void },
  options: ConstructorParameters<typeof RedisStore>[0] = {},
) {
  requireComponents(ctx, COMPONENTS.redis)
  redis ??= await startRedis()
  const s = new RedisStore({ url: redis.url, prefix: `t${randomBytes(4).toString('hex')}:`, ...options })
  stores.push(s)
  return s
}

const req = storeAnnounce

describe('RedisStore', () => {
  it('counts seeders, leechers and downloads exactly and hands out peers', async (ctx) => {
    const s = await store(ctx)
    const leecher = req({ port: 1 })
    await s.announce(leecher)
    const seeder = await s.announce(req({ port: 2, seeder: true, host: '::1', family: 6 }))
    expect(seeder).toMatchObject({ complete: 1, incomplete: 1, downloaded: 0 })
    expect(seeder.peers.map((p) => [p.host, p.port, p.family])).toEqual([['127.0.0.1', 1, 4]])
    expect(Buffer.from(seeder.peers[0]!.peerId).equals(Buffer.from(leecher.peerId))).toBe(true)
    const done = await s.announce({ ...leecher, seeder: true, event: 'completed' })
    expect(done).toMatchObject({ complete: 2, incomplete: 0, downloaded: 1 })
    const v4only = await s.announce(req({ port: 3, families: [4] }))
    expect(v4only.peers.map((p) => p.port)).toEqual([1])
    await s.announce({ ...leecher, seeder: true, event: 'stopped' })
    expect(await s.scrape(['ab'.repeat(20), 'cd'.repeat(20)])).toEqual([
      { complete: 1, incomplete: 1, downloaded: 1 },
      { complete: 0, incomplete: 0, downloaded: 0 },
    ])
    expect(await s.totals()).toEqual({ torrents: 1, seeders: 1, leechers: 1 })
  })

  it('moves a peer id to another IP only with its key', async (ctx) => {
    const s = await store(ctx)
    const peerId = randomBytes(20)
    const observer = req({ port: 9, numwant: 10 })
    const seen = async () => {
      const r = await s.announce(observer)
      return r.peers.map((p) => `${p.host}:${p.port}`)
    }
    await s.announce(req({ peerId, host: '10.0.0.1', port: 1, key: 'k1' }))
    await s.announce(req({ peerId, host: '10.0.0.2', port: 2, key: 'k1' }))
    expect(await seen()).toEqual(['10.0.0.2:2'])
    for (const key of ['k2', undefined]) {
      await expect(s.announce(req({ peerId, host: '::1', family: 6, port: 3, key }))).rejects.toMatchObject({
        code: 'TRACKER_SERVER_PEER_CONFLICT',
      })
    }
    await expect(
      s.announce(req({ peerId, host: '10.0.0.3', port: 3, key: 'k2', event: 'stopped' })),
    ).rejects.toMatchObject({ code: 'TRACKER_SERVER_PEER_CONFLICT' })
    // Same IP without a key keeps the recorded key, so the peer can still move with it.
    await s.announce(req({ peerId, host: '10.0.0.2', port: 4 }))
    await s.announce(req({ peerId, host: '::1', family: 6, port: 5, key: 'k1' }))
    expect(await seen()).toEqual(['::1:5'])
    expect((await s.scrape(['ab'.repeat(20)]))[0]).toMatchObject({ incomplete: 2 })
  })

  it('sends announces of one tick as one batch, each answered (and refused) on its own', async (ctx) => {
    const s = await store(ctx)
    const taken = randomBytes(20)
    await s.announce(req({ peerId: taken, host: '10.0.0.1', key: 'mine' }))
    const results = await Promise.allSettled([
      s.announce(req({ port: 11 })),
      s.announce(req({ peerId: taken, host: '10.0.0.9', key: 'other' })),
      s.announce(req({ port: 12, seeder: true, numwant: 10 })),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'TRACKER_SERVER_PEER_CONFLICT',
    })
    const last = (results[2] as PromiseFulfilledResult<Awaited<ReturnType<RedisStore['announce']>>>).value
    expect(last).toMatchObject({ complete: 1, incomplete: 2 })
    expect(last.peers.map((p) => `${p.host}:${p.port}`).sort()).toEqual(['10.0.0.1:6881', '127.0.0.1:11'])
  })

  it('answers a full scrape with the most recently announced torrents, capped', async (ctx) => {
    const s = await store(ctx)
    const hashes = ['01', '02', '03'].map((b) => b.repeat(20))
    for (const [i, infoHash] of hashes.entries()) {
      await s.announce(req({ infoHash, seeder: true }))
      for (let p = 0; p < i; p++) await s.announce(req({ infoHash, port: 10 + p }))
    }
    const all = await s.fullScrape(10)
    expect(all.sort((a, b) => a.infoHash.localeCompare(b.infoHash))).toEqual([
      { infoHash: hashes[0], complete: 1, incomplete: 0, downloaded: 0 },
      { infoHash: hashes[1], complete: 1, incomplete: 1, downloaded: 0 },
      { infoHash: hashes[2], complete: 1, incomplete: 2, downloaded: 0 },
    ])
    expect((await s.fullScrape(1)).map((e) => e.infoHash)).toEqual([hashes[2]])
  })

  it('expires peers by last-seen time and bounds peers per torrent', async (ctx) => {
    const prefix = `t${randomBytes(4).toString('hex')}:`
    const s = await store(ctx, { peerTimeout: 300, maxPeersPerTorrent: 3, prefix })
    for (let port = 1; port <= 5; port++) await s.announce(req({ port }))
    expect((await s.scrape(['ab'.repeat(20)]))[0]).toMatchObject({ incomplete: 3 })
    await new Promise((r) => setTimeout(r, 700))
    expect((await s.scrape(['ab'.repeat(20)]))[0]).toMatchObject({ incomplete: 0 })
    expect(await s.totals()).toMatchObject({ torrents: 0 })
    // The torrent's keys carry the timeout as a TTL.
    await s.announce(req({ port: 9 }))
    const ttl = await s.redis.pttl(`${prefix}t:${'ab'.repeat(20)}:p`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(300)
  })

  it('answers a failure reason, not a crash, when Redis is unreachable', async (ctx) => {
    requireComponents(ctx, COMPONENTS.redis)
    const dead = new RedisStore({
      url: 'redis://127.0.0.1:1',
      commandTimeout: 500,
      redisOptions: { retryStrategy: () => null },
    })
    const server = createTrackerServer({ store: dead, closeStore: true })
    const { httpUrl } = await server.listen()
    await expect(
      announce(
        httpUrl!,
        { infoHash: randomBytes(20), peerId: generatePeerId(), port: 1, left: 1 },
        { timeout: 5000 },
      ),
    ).rejects.toMatchObject({
      code: 'TRACKER_FAILURE_REASON',
      message: expect.stringContaining('storage unavailable'),
    })
    expect((await server.stats().catch(() => undefined)) ?? 'store down').toBeTruthy()
    await server.close()
  })
})

describe('two tracker processes on one Redis', () => {
  it('share one swarm view over HTTP and UDP', async (ctx) => {
    requireComponents(ctx, COMPONENTS.redis)
    redis ??= await startRedis()
    const serve = fileURLToPath(new URL('./fixtures/serve.mjs', import.meta.url))
    const procs = [0, 1].map(() =>
      spawnChild(process.execPath, [serve, JSON.stringify({ redisUrl: redis!.url, rateLimit: false })]),
    )
    const infos = await Promise.all(
      procs.map((p) =>
        waitFor(
          () => {
            const line = p
              .output()
              .split('\n')
              .find((l) => l.startsWith('{'))
            return line ? (JSON.parse(line) as { httpUrl: string; udpUrl: string }) : undefined
          },
          15_000,
          'tracker process to listen',
        ),
      ),
    )
    const [a, b] = infos as [{ httpUrl: string; udpUrl: string }, { httpUrl: string; udpUrl: string }]
    expect(a.httpUrl).not.toBe(b.httpUrl)
    const infoHash = randomBytes(20)
    const opts = { udpTransport: transport, timeout: 5000 }
    await announce(
      a.httpUrl,
      { infoHash, peerId: generatePeerId(), port: 5001, left: 0, event: 'started' },
      opts,
    )
    const fromB = await announce(
      b.udpUrl,
      { infoHash, peerId: generatePeerId(), port: 5002, left: 9, event: 'started' },
      opts,
    )
    expect(fromB.peers).toEqual([{ host: '127.0.0.1', port: 5001 }])
    expect(fromB).toMatchObject({ complete: 1, incomplete: 1 })
    const fromA = await announce(a.udpUrl, { infoHash, peerId: generatePeerId(), port: 5003, left: 9 }, opts)
    expect(fromA.peers).toHaveLength(2)
    const files = (await scrape(b.httpUrl, [infoHash], opts)).files
    expect(files.get(infoHash.toString('hex'))).toEqual({ complete: 1, incomplete: 2, downloaded: 0 })
    await Promise.all(procs.map((p) => p.stop()))
    expect(procs.map((p) => p.proc.exitCode)).toEqual([0, 0])
  })
})
