import { randomBytes } from 'node:crypto'
import { COMPONENTS, freePort, missingComponents, requireComponents, stopAll, waitFor } from '@p2p/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDhtNode, type DhtNode, idHex, itemKeyPair, mutableTarget } from '../src/index.js'
import { startLibtorrentDht } from './lt-driver.js'

// Our nodes on 127.0.0.1 and 127.0.0.5-6, libtorrent's on 127.0.0.2-4; all bootstrap from 127.0.0.1.
const LT_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4']
const available = missingComponents([COMPONENTS.libtorrent]).length === 0

let ours: DhtNode[] = []
let lt: Awaited<ReturnType<typeof startLibtorrentDht>> | undefined
let ltPort = 0

beforeAll(async () => {
  if (!available) return
  const port = await freePort('udp')
  const boot = await createDhtNode({ host: '127.0.0.1', port })
  ours = [boot]
  ltPort = await freePort('udp')
  lt = await startLibtorrentDht(LT_IPS, ltPort, `127.0.0.1:${port}`)
  for (const host of ['127.0.0.5', '127.0.0.6']) {
    const node = await createDhtNode({ host, port, bootstrap: [{ host: '127.0.0.1', port }] })
    ours.push(node)
  }
  // libtorrent bootstraps from our node: wait until every libtorrent session has nodes.
  await waitFor(
    async () => {
      const counts = await Promise.all(LT_IPS.map((_, i) => lt!.call(i, 'stats')))
      return counts.every((c) => (c.nodes as number) >= 2)
    },
    30_000,
    'libtorrent sessions to fill their routing tables from our node',
    500,
  )
  await Promise.all(ours.slice(1).map((n) => n.start()))
  await boot.start()
}, 60_000)

afterAll(async () => {
  await Promise.all(ours.map((n) => n.close()))
  await lt?.stop()
  await stopAll()
})

describe('our DHT with python3-libtorrent nodes on 127.0.0.x', () => {
  it('libtorrent nodes bootstrap from our node and enter our routing tables', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const hosts = new Set(
      ours[0]!.core
        .table(4)!
        .nodes()
        .map((n) => n.address.host),
    )
    for (const ip of LT_IPS) expect(hosts).toContain(ip)
    expect(ours[0]!.stats().answered).toBeGreaterThan(0)
  })

  it('our node finds peers libtorrent announced, and libtorrent finds ours', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    // A torrent added to libtorrent is announced to the DHT on its listen port.
    const theirs = idHex(randomBytes(20))
    await lt!.call(0, 'add_torrent', { infoHash: theirs })
    const found = await waitFor(
      async () => {
        const { peers, stats } = await ours[2]!.getPeers(Buffer.from(theirs, 'hex'))
        return peers.some((p) => p.host === LT_IPS[0] && p.port === ltPort) ? { peers, stats } : undefined
      },
      20_000,
      'our get_peers to return the libtorrent announce',
      500,
    )
    console.log(`our get_peers: ${found.stats.queries} queries, ${found.stats.hops} hops, peers`, found.peers)

    const mine = randomBytes(20)
    const { announced } = await ours[1]!.announce(mine, 42000)
    expect(announced).toBeGreaterThan(0)
    const seen = await waitFor(
      async () => {
        const { peers } = await lt!.call(2, 'get_peers', { infoHash: idHex(mine) })
        return (peers as string[]).includes('127.0.0.5:42000') ? peers : undefined
      },
      20_000,
      'libtorrent get_peers to return our announce',
      500,
    )
    console.log('libtorrent get_peers:', seen)
  })

  it('BEP 44 immutable: put by libtorrent, get by us; put by us, get by libtorrent', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const put = await lt!.call(1, 'put_immutable', { value: 'hello from libtorrent' })
    expect(put.success as number).toBeGreaterThan(0)
    const { item } = await ours[1]!.getItem(Buffer.from(put.target as string, 'hex'))
    expect(Buffer.from(item!.value as Uint8Array).toString()).toBe('hello from libtorrent')

    const mine = await ours[2]!.putImmutable('hello from @p2p/dht')
    expect(mine.stored).toBeGreaterThan(0)
    const got = await lt!.call(0, 'get_immutable', { target: idHex(mine.target) })
    expect(got.value).toBe('hello from @p2p/dht')
  })

  it('BEP 44 mutable with salt: put by libtorrent, get by us; put by us, get by libtorrent', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const keys = itemKeyPair()
    const salt = 'chat'
    const pk = Buffer.from(keys.publicKey).toString('hex')
    const put = await lt!.call(2, 'put_mutable', {
      seed: Buffer.from(keys.secretKey).toString('hex'),
      publicKey: pk,
      value: 'v-lt',
      salt,
    })
    expect(put.success as number).toBeGreaterThan(0)
    const target = mutableTarget(keys.publicKey, Buffer.from(salt))
    const { item } = await ours[0]!.getItem(target, { publicKey: keys.publicKey, salt: Buffer.from(salt) })
    expect(Buffer.from(item!.value as Uint8Array).toString()).toBe('v-lt')
    expect(item!.seq).toBe(put.seq)

    const mine = await ours[1]!.putMutable({ keys, value: 'v-ours', salt: Buffer.from(salt) })
    expect(mine.seq).toBe((put.seq as number) + 1)
    expect(mine.stored).toBeGreaterThan(0)
    const got = await lt!.call(1, 'get_mutable', { publicKey: pk, salt })
    expect(got.value).toBe('v-ours')
    expect(got.seq).toBe(mine.seq)
  })

  it('BEP 51: libtorrent samples our node, we sample libtorrent', async (ctx) => {
    requireComponents(ctx, COMPONENTS.libtorrent)
    const ih = randomBytes(20)
    // Make sure our bootstrap node holds an info hash, then ask it from libtorrent.
    ours[0]!.core.peerStore.add(ih, { host: '127.0.0.9', port: 1234 }, Date.now())
    const fromUs = await lt!.call(1, 'sample', {
      host: '127.0.0.1',
      port: ours[0]!.addresses()[0]!.port,
      target: idHex(randomBytes(20)),
    })
    expect(fromUs.samples).toContain(idHex(ih))
    expect(fromUs.num).toBe(ours[0]!.stats().infoHashes)

    // A libtorrent node holds what it was announced: announce a hash to every node, then sample one.
    const theirs = randomBytes(20)
    await ours[1]!.announce(theirs, 43000)
    let sampled: string[] = []
    for (const ip of LT_IPS) {
      const r = await ours[1]!.core.sampleInfohashes({ host: ip, port: ltPort })
      sampled = sampled.concat(r.samples.map(idHex))
    }
    expect(sampled).toContain(idHex(theirs))
  })
})
