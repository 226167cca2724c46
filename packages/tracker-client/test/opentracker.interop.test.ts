// Our client against a real tracker: Debian's opentracker, over HTTP and UDP.
import { randomBytes } from 'node:crypto'
import { generatePeerId } from '@p2p/peer-address'
import { COMPONENTS, type Opentracker, requireComponents, startOpentracker } from '@p2p/test-utils'
import { announce, scrape, TrackerClient, type TrackerUpdate, UdpTransport } from '@p2p/tracker-client'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

const infoHash = randomBytes(20)
const otherHash = randomBytes(20)
const notListed = randomBytes(20)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

let tracker: Opentracker | undefined
const transport = new UdpTransport()
const clients: TrackerClient[] = []

async function opentracker(ctx: { skip: (note?: string) => void }): Promise<Opentracker> {
  requireComponents(ctx, COMPONENTS.opentracker)
  tracker ??= await startOpentracker({ infoHashes: [infoHash, otherHash] })
  return tracker
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()))
})
afterAll(async () => {
  transport.close()
  await tracker?.stop()
})

describe.each(['http', 'udp'] as const)('opentracker over %s', (proto) => {
  const url = (t: Opentracker) => (proto === 'http' ? t.httpUrl : t.udpUrl)
  const options = { udpTransport: transport, timeout: 5000 }

  it('announces started / completed / stopped and scrapes the counts', async (ctx) => {
    const t = await opentracker(ctx)
    const hash = proto === 'http' ? infoHash : otherHash
    const leecher = { infoHash: hash, peerId: generatePeerId(), port: proto === 'http' ? 40001 : 40011 }
    const seeder = { infoHash: hash, peerId: generatePeerId(), port: proto === 'http' ? 40002 : 40012 }

    const first = await announce(url(t), { ...leecher, left: 1000, event: 'started', numwant: 50 }, options)
    expect(first.interval).toBeGreaterThan(0)
    const second = await announce(url(t), { ...seeder, left: 0, event: 'started', numwant: 50 }, options)
    expect(second.peers).toContainEqual({ host: '127.0.0.1', port: leecher.port })
    expect(second).toMatchObject({ complete: 1, incomplete: 1 })

    let stats = (await scrape(url(t), [hash, notListed], options)).files
    expect(stats.get(hex(hash))).toEqual({ complete: 1, incomplete: 1, downloaded: 0 })

    await announce(url(t), { ...leecher, left: 0, downloaded: 1000, event: 'completed' }, options)
    stats = (await scrape(url(t), [hash], options)).files
    expect(stats.get(hex(hash))).toEqual({ complete: 2, incomplete: 0, downloaded: 1 })

    await announce(url(t), { ...leecher, left: 0, event: 'stopped' }, options)
    await announce(url(t), { ...seeder, left: 0, event: 'stopped' }, options)
    stats = (await scrape(url(t), [hash], options)).files
    expect(stats.get(hex(hash))).toMatchObject({ complete: 0, incomplete: 0 })
  })

  it('reports a torrent missing from the whitelist with a coded error', async (ctx) => {
    const t = await opentracker(ctx)
    const err = await announce(
      url(t),
      { infoHash: notListed, peerId: generatePeerId(), port: 40003 },
      options,
    ).catch((e: unknown) => e)
    // Over HTTP opentracker says why; over UDP it answers with a bare 8-byte announce header, which
    // BEP 15 does not allow (an announce answer is at least 20 bytes).
    expect(err).toMatchObject({ code: proto === 'http' ? 'TRACKER_FAILURE_REASON' : 'TRACKER_BAD_RESPONSE' })
  })

  it('two TrackerClients find each other through it', async (ctx) => {
    const t = await opentracker(ctx)
    const make = (port: number, left: number) => {
      const c = new TrackerClient({
        infoHash,
        peerId: generatePeerId(),
        port,
        left,
        announce: [['http://127.0.0.1:1/announce'], [url(t)]], // a dead first tier, as in the wild
        timeout: 3000,
        requestOptions: { udpTransport: transport },
      })
      clients.push(c)
      return c
    }
    const a = make(proto === 'http' ? 41001 : 41011, 0)
    const b = make(proto === 'http' ? 41002 : 41012, 500)
    const firstUpdate = (c: TrackerClient) =>
      new Promise<TrackerUpdate>((resolve) => c.once('update', resolve))
    const aUp = firstUpdate(a)
    a.start()
    expect((await aUp).url).toBe(url(t))
    const bUp = firstUpdate(b)
    b.start()
    const update = await bUp
    expect(update.peers).toContainEqual({ host: '127.0.0.1', port: proto === 'http' ? 41001 : 41011 })
    expect(b.tiers[1]).toEqual([url(t)])
    const stats = await b.scrape()
    expect(stats?.complete).toBeGreaterThanOrEqual(1)
    expect(stats?.incomplete).toBeGreaterThanOrEqual(1)
  })
})
