// RedisStore's key layout against a real redis-server, on a test clock: lazy expiry, the torrents
// index slack, refusals inside a batch, older layouts, and which sampled peers are handed out.
import { randomBytes } from 'node:crypto'
import { COMPONENTS, requireComponents } from '@p2p/test-utils'
import { RedisStore } from '@p2p/tracker-server'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { storeAnnounce as req } from './helpers.js'
import { startRedis, type TestRedis } from './redis.js'

let redis: TestRedis | undefined
const stores: RedisStore[] = []
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await redis?.stop()
})

const TIMEOUT = 60_000
const IH = 'ab'.repeat(20)

/** A store with a 60 s peer timeout on a clock the test sets (`clock.now`). */
async function store(ctx: { skip: (note?: string) => void }, options: { maxPeersPerTorrent?: number } = {}) {
  requireComponents(ctx, COMPONENTS.redis)
  redis ??= await startRedis()
  const clock = { now: 1_000_000 }
  const prefix = `l${randomBytes(4).toString('hex')}:`
  const s = new RedisStore({ url: redis.url, prefix, peerTimeout: TIMEOUT, now: () => clock.now, ...options })
  stores.push(s)
  return { s, clock, prefix }
}

const ports = (r: { peers: { port: number }[] }) => r.peers.map((p) => p.port).sort((a, b) => a - b)

describe('RedisStore layout', () => {
  it('expires peers by last-seen time, keeping the re-announced ones', async (ctx) => {
    const { s, clock } = await store(ctx)
    const a = req({ port: 1 })
    await s.announce(a)
    await s.announce(req({ port: 2 }))
    clock.now += TIMEOUT / 2
    await s.announce(a)
    clock.now += TIMEOUT / 2 + 1
    // Port 2 is past the timeout, port 1 is not.
    const c = await s.announce(req({ port: 3 }))
    expect(c).toMatchObject({ incomplete: 2 })
    expect(ports(c)).toEqual([1])
    clock.now += TIMEOUT / 2
    expect(await s.scrape([IH])).toEqual([{ complete: 0, incomplete: 1, downloaded: 0 }])
    clock.now += TIMEOUT
    expect(await s.scrape([IH])).toEqual([{ complete: 0, incomplete: 0, downloaded: 0 }])
  })

  it('counts a peer that comes back after expiring once', async (ctx) => {
    const { s, clock } = await store(ctx)
    const a = req({ port: 1 })
    await s.announce(a)
    clock.now += TIMEOUT + 1
    expect(await s.announce(a)).toMatchObject({ complete: 0, incomplete: 1 })
    expect(await s.announce({ ...a, seeder: true })).toMatchObject({ complete: 1, incomplete: 0 })
  })

  it('keeps what a refused announce expired', async (ctx) => {
    const { s, clock } = await store(ctx)
    await s.announce(req({ port: 1 }))
    clock.now += TIMEOUT / 2
    const peerId = randomBytes(20)
    await s.announce(req({ peerId, host: '10.0.0.1', key: 'k' }))
    clock.now += TIMEOUT / 2 + 1
    await expect(s.announce(req({ peerId, host: '10.0.0.2', key: 'other' }))).rejects.toMatchObject({
      code: 'TRACKER_SERVER_PEER_CONFLICT',
    })
    expect(await s.scrape([IH])).toEqual([{ complete: 0, incomplete: 1, downloaded: 0 }])
  })

  it('lists a torrent in full scrapes and totals while a peer lives, though its index time is older', async (ctx) => {
    const { s, clock } = await store(ctx)
    const a = req({ seeder: true })
    await s.announce(a)
    clock.now += 5000
    await s.announce(a)
    clock.now += TIMEOUT - 1000
    expect(await s.fullScrape(10)).toEqual([{ infoHash: IH, complete: 1, incomplete: 0, downloaded: 0 }])
    expect(await s.totals()).toEqual({ torrents: 1, seeders: 1, leechers: 0 })
    clock.now += 2000
    expect(await s.fullScrape(10)).toEqual([])
    expect(await s.totals()).toEqual({ torrents: 0, seeders: 0, leechers: 0 })
  })

  it('drops quiet torrents from the index on later announces, without totals or full scrapes', async (ctx) => {
    const { s, clock, prefix } = await store(ctx)
    await s.announce(req())
    expect(await s.redis.zscore(`${prefix}torrents`, IH)).not.toBeNull()
    clock.now += TIMEOUT + TIMEOUT / 8 + 1
    await s.announce(req({ infoHash: 'cd'.repeat(20) }))
    expect(await s.redis.zscore(`${prefix}torrents`, IH)).toBeNull()
    expect(await s.redis.zcard(`${prefix}torrents`)).toBe(1)
  })

  it('keeps torrent keys alive past the last peer, refreshing their TTLs once per slack', async (ctx) => {
    const { s, clock, prefix } = await store(ctx)
    const slack = TIMEOUT / 8
    const ttls = () => Promise.all(['p', 's'].map((k) => s.redis.pttl(`${prefix}t:${IH}:${k}`)))
    const a = req({ port: 1 })
    await s.announce(a)
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(TIMEOUT - 5000)
    for (const ttl of await ttls()) expect(ttl).toBeLessThanOrEqual(TIMEOUT)
    clock.now += 1
    await s.announce(a)
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(TIMEOUT)
    await s.redis.pexpire(`${prefix}t:${IH}:p`, TIMEOUT)
    clock.now += slack - 2
    await s.announce(a)
    expect((await ttls())[0]).toBeLessThanOrEqual(TIMEOUT)
    clock.now += 2
    await s.announce(a)
    expect((await ttls())[0]).toBeGreaterThan(TIMEOUT)
    // The last peer leaves (its zset goes) and another comes: the new zset gets a TTL too.
    await s.announce({ ...a, event: 'stopped' })
    clock.now += 1
    await s.announce(req({ port: 2 }))
    for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(0)
  })

  it('sends announces past auto-pipelining on a client it is given, and leaves that client open', async (ctx) => {
    requireComponents(ctx, COMPONENTS.redis)
    redis ??= await startRedis()
    const client = new Redis(redis.url, { enableAutoPipelining: true })
    const s = new RedisStore({ redis: client, prefix: `g${randomBytes(4).toString('hex')}:` })
    expect(client.options.autoPipeliningIgnoredCommands).toContain('p2pTrackerAnnounce')
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => s.announce(req({ port: i + 1 }))))
    expect(results[39]).toMatchObject({ incomplete: 40 })
    await s.close()
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })

  it('refuses a malformed announce alone, not the batch it was sent with', async (ctx) => {
    const { s } = await store(ctx)
    const results = await Promise.allSettled([
      s.announce(req({ port: 1 })),
      s.announce(req({ infoHash: 'abc' })),
      s.announce(req({ port: 2, key: 'x'.repeat(70_000) })),
      s.announce(req({ port: 3 })),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'TRACKER_SERVER_BAD_FIELD' })
    expect(await s.scrape([IH])).toEqual([{ complete: 0, incomplete: 2, downloaded: 0 }])
  })

  it('writes nothing for a stopped announce of an unknown torrent', async (ctx) => {
    const { s, prefix } = await store(ctx)
    const r = await s.announce(req({ event: 'stopped' }))
    expect(r).toMatchObject({ complete: 0, incomplete: 0, downloaded: 0, peers: [] })
    expect(await s.redis.keys(`${prefix}*`)).toEqual([])
  })

  it('starts a torrent written by an older layout afresh', async (ctx) => {
    const { s, prefix } = await store(ctx)
    const old = Buffer.concat([
      randomBytes(20),
      Buffer.from('04'),
      Buffer.from([10, 0, 0, 9, 0, 80]),
      Buffer.from('key'),
    ])
    await s.redis.hset(`${prefix}t:${IH}:p`, old.subarray(0, 20), old.subarray(20))
    await s.redis.zadd(`${prefix}t:${IH}:s`, 1, old)
    const r = await s.announce(req({ port: 1 }))
    expect(r).toMatchObject({ complete: 0, incomplete: 1, peers: [] })
    expect(await s.redis.hlen(`${prefix}t:${IH}:p`)).toBe(2)
  })

  it('hands out up to numwant peers of the wanted families, never the announcer', async (ctx) => {
    const { s } = await store(ctx)
    for (let port = 1; port <= 3; port++) await s.announce(req({ port }))
    for (let port = 11; port <= 13; port++)
      await s.announce(req({ port, host: `2001:db8::${port}`, family: 6 }))
    const me = req({ port: 20, numwant: 10 })
    await s.announce(me)
    const v6 = await s.announce({ ...me, families: [6] })
    expect(ports(v6)).toEqual([11, 12, 13])
    expect(v6.peers.map((p) => p.host).sort()).toEqual(['2001:db8::11', '2001:db8::12', '2001:db8::13'])
    expect(Buffer.from(v6.compact6!).length).toBe(3 * 18)
    expect(ports(await s.announce({ ...me, families: [4] }))).toEqual([1, 2, 3])
    const two = await s.announce({ ...me, numwant: 2 })
    expect(two.peers).toHaveLength(2)
    expect(two.peers.map((p) => p.port)).not.toContain(20)
  })

  it('evicts the peer seen longest ago at the cap, counts included', async (ctx) => {
    const { s, clock } = await store(ctx, { maxPeersPerTorrent: 2 })
    await s.announce(req({ port: 1, seeder: true }))
    clock.now += 1
    await s.announce(req({ port: 2 }))
    clock.now += 1
    const r = await s.announce(req({ port: 3, numwant: 10 }))
    expect(r).toMatchObject({ complete: 0, incomplete: 2 })
    expect(ports(r)).toEqual([2])
  })
})
