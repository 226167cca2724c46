import { encode } from '@p2p/bencode'
import { afterEach, describe, expect, it } from 'vitest'
import {
  compareDistance,
  DhtCore,
  type DhtError,
  EXTERNAL_ADDRESS_VOTES,
  encodeResponse,
  idHex,
  isSecureNodeId,
  itemKeyPair,
  mutableTarget,
  parseMessage,
} from '../src/index.js'
import { memoryNet } from './helpers.js'

let net: ReturnType<typeof memoryNet>
afterEach(() => net?.close())

const infoHash = new Uint8Array(20).fill(0xab)

describe('DHT nodes on the in-memory network', () => {
  it('find_node converges on the true closest nodes; tables split around our id', async () => {
    net = memoryNet()
    const nodes = await net.grow(60)
    const target = new Uint8Array(20).fill(0x5a)
    const { nodes: found, stats } = await net.run(nodes[17]!.core.findNode(target))
    const truth = nodes
      .map((n) => n.core.id)
      .sort((a, b) => compareDistance(target, a, b))
      .slice(0, 8)
      .map(idHex)
    expect(found.map((n) => idHex(n.id))).toEqual(truth)
    expect(stats.queries).toBeGreaterThan(0)
    const table = nodes[5]!.core.table(4)!
    expect(table.bucketCount).toBeGreaterThan(1)
    expect(Math.max(...table.bucketSizes())).toBeLessThanOrEqual(8)
  })

  it('announce_peer with an explicit port and with implied_port; get_peers finds both', async () => {
    net = memoryNet()
    const nodes = await net.grow(30)
    const r1 = await net.run(nodes[3]!.announce(infoHash, 51413))
    expect(r1.announced).toBeGreaterThan(0)
    const r2 = await net.run(nodes[9]!.announce(infoHash))
    expect(r2.announced).toBeGreaterThan(0)
    const { peers } = await net.run(nodes[25]!.getPeers(infoHash))
    expect(peers).toContainEqual({ host: nodes[3]!.addresses()[0]!.host, port: 51413 })
    // implied_port: the announcing node's UDP source port.
    expect(peers).toContainEqual(nodes[9]!.addresses()[0])
  })

  it('BEP 44: immutable put/get, mutable put/get with salt, seq, cas and the error codes', async () => {
    net = memoryNet()
    const nodes = await net.grow(20)
    const put = await net.run(nodes[2]!.putImmutable({ msg: 'hello' }))
    expect(put.stored).toBeGreaterThan(0)
    const got = await net.run(nodes[15]!.getItem(put.target))
    expect(got.item?.encoded).toEqual(encode({ msg: 'hello' }))

    const keys = itemKeyPair()
    const salt = new TextEncoder().encode('s1')
    const m1 = await net.run(nodes[4]!.putMutable({ keys, value: 'v1', salt }))
    expect(m1.seq).toBe(0)
    const m2 = await net.run(nodes[5]!.putMutable({ keys, value: 'v2', salt }))
    expect(m2.seq).toBe(1)
    const target = mutableTarget(keys.publicKey, salt)
    const g = await net.run(nodes[11]!.getItem(target, { publicKey: keys.publicKey, salt }))
    expect(g.item?.seq).toBe(1)
    expect(g.item?.value).toEqual(new TextEncoder().encode('v2'))
    // Without the salt the item is not found (a different target), and a wrong key finds nothing valid.
    const other = itemKeyPair()
    expect(
      (await net.run(nodes[11]!.getItem(target, { publicKey: other.publicKey, salt }))).item,
    ).toBeUndefined()

    const low = await net.run(nodes[6]!.putMutable({ keys, value: 'old', salt, seq: 0 }))
    expect(low.stored).toBe(0)
    expect(new Set(low.refused)).toEqual(new Set([302]))
    const cas = await net.run(nodes[6]!.putMutable({ keys, value: 'v3', salt, seq: 2, cas: 0 }))
    expect(new Set(cas.refused)).toEqual(new Set([301]))
    const ok = await net.run(nodes[6]!.putMutable({ keys, value: 'v3', salt, seq: 2, cas: 1 }))
    expect(ok.stored).toBe(m2.stored)
    await expect(nodes[1]!.putImmutable('x'.repeat(1200))).rejects.toMatchObject({ code: 'DHT_INVALID_ITEM' })
  })

  it('BEP 44 errors 205 and 206 from a storing node', async () => {
    net = memoryNet()
    const [a, b] = await net.grow(2)
    const keys = itemKeyPair()
    const { response } = await net.run(
      a!.core.query(b!.addresses()[0]!, 'get', { target: new Uint8Array(20) }),
    )
    const token = response.r.token as Uint8Array
    const to = b!.addresses()[0]!
    const bad = { v: 'x', k: keys.publicKey, seq: 1, sig: new Uint8Array(64), token }
    await expect(net.run(a!.core.query(to, 'put', bad))).rejects.toMatchObject({ remoteCode: 206 })
    const big = { v: 'y'.repeat(1001), token }
    await expect(net.run(a!.core.query(to, 'put', big))).rejects.toMatchObject({ remoteCode: 205 })
    const salty = { ...bad, salt: new Uint8Array(65) }
    await expect(net.run(a!.core.query(to, 'put', salty))).rejects.toMatchObject({ remoteCode: 207 })
  })

  it('BEP 51: sample_infohashes returns what the node stores', async () => {
    net = memoryNet()
    const nodes = await net.grow(10)
    await net.run(nodes[1]!.announce(infoHash, 6881))
    const holder = nodes.find((n) => n.stats().infoHashes > 0)!
    const res = await net.run(nodes[4]!.core.sampleInfohashes(holder.addresses()[0]!))
    expect(res.samples.map(idHex)).toContain(idHex(infoHash))
    expect(res.num).toBe(1)
    expect(res.interval).toBeGreaterThanOrEqual(0)
    expect(res.interval).toBeLessThanOrEqual(21600)
  })

  it('BEP 43: a read-only node gets answers, is never added to tables and answers nothing', async () => {
    net = memoryNet()
    const nodes = await net.grow(10)
    const ro = net.add({ host: '10.9.9.9', port: 6881 }, { readOnly: true })
    await net.run(ro.start([nodes[0]!.addresses()[0]!]))
    expect(ro.stats().nodes.v4).toBeGreaterThan(5)
    for (const n of nodes) expect(n.core.table(4)!.get(ro.core.id)).toBeUndefined()
    await expect(net.run(nodes[0]!.core.ping(ro.addresses()[0]!))).rejects.toMatchObject({
      code: 'DHT_TIMEOUT',
    })
  })

  it('BEP 32: an IPv6 table beside the IPv4 one', async () => {
    net = memoryNet()
    const six = Array.from({ length: 12 }, (_, i) =>
      net.add({ host: `fd00::${i + 1}`, port: 6881 }, { families: [6] }),
    )
    for (const n of six.slice(1)) await net.run(n.start([six[0]!.addresses()[0]!]))
    expect(six[7]!.stats().nodes.v6).toBeGreaterThan(5)
    expect(six[7]!.stats().nodes.v4).toBe(0)
    await net.run(six[3]!.announce(infoHash, 7000))
    const { peers } = await net.run(six[9]!.getPeers(infoHash))
    expect(peers).toContainEqual({ host: 'fd00::4', port: 7000 })
  })

  it('BEP 42: adopts a secure id once enough responders agree on the external address', async () => {
    const sent: Uint8Array[] = []
    const me = new DhtCore({ send: (d) => sent.push(d), now: () => 0 })
    const before = idHex(me.id)
    const ip = new Uint8Array([203, 0, 113, 7, 0x1a, 0xe1])
    for (let i = 0; i < EXTERNAL_ADDRESS_VOTES; i++) {
      // Answers count only for our own transactions: query, then answer from the queried address.
      const peer = { host: `198.51.100.${i + 1}`, port: 6881 }
      const answered = me.ping(peer)
      const { t } = parseMessage(sent.at(-1)!)
      me.receive(encodeResponse(t, { id: new Uint8Array(20).fill(i + 1) }, ip), peer)
      await answered
    }
    expect(idHex(me.id)).not.toBe(before)
    expect(isSecureNodeId(me.id, '203.0.113.7')).toBe(true)
    expect(me.stats().externalAddress).toEqual({ host: '203.0.113.7', port: 6881 })
    me.stop()
  })

  it('BEP 42: takes a secure id from an external address known outside the DHT (port mapping)', () => {
    const me = new DhtCore({ send: () => {}, now: () => 0 })
    const before = idHex(me.id)
    // Private, loopback and malformed addresses are not external addresses.
    for (const host of ['192.168.1.1', '10.0.0.1', '127.0.0.1', 'fd00::1', 'nope', '0.0.0.0'])
      expect(me.setExternalAddress({ host, port: 6881 })).toBe(false)
    expect(idHex(me.id)).toBe(before)
    expect(me.setExternalAddress({ host: '198.51.100.20', port: 40000 })).toBe(true)
    expect(isSecureNodeId(me.id, '198.51.100.20')).toBe(true)
    expect(me.stats().externalAddress).toEqual({ host: '198.51.100.20', port: 40000 })
    expect(me.setExternalAddress({ host: '2001:db8::7', port: 40000 })).toBe(true)
    expect(isSecureNodeId(me.id, '2001:db8::7')).toBe(true)
    // A node given a fixed id keeps it.
    const fixed = new DhtCore({ send: () => {}, now: () => 0, id: new Uint8Array(20).fill(1) })
    expect(fixed.setExternalAddress({ host: '198.51.100.20', port: 1 })).toBe(true)
    expect(idHex(fixed.id)).toBe('01'.repeat(20))
    me.stop()
    fixed.stop()
  })

  it('a saved table rejoins without bootstrap nodes', async () => {
    net = memoryNet()
    const nodes = await net.grow(20)
    const saved = nodes[4]!.save()
    await nodes[4]!.close()
    const again = net.add({ host: '10.0.0.4', port: 6881 }, { restore: saved })
    expect(idHex(again.core.id)).toBe(saved.id)
    await net.run(again.start())
    const { nodes: found } = await net.run(again.core.findNode(new Uint8Array(20)))
    expect(found.length).toBe(8)
  })

  it('caps queries in flight', async () => {
    net = memoryNet()
    const lonely = net.add({ host: '10.1.1.1', port: 1 }, { maxPending: 2 })
    const nowhere = { host: '10.1.1.2', port: 1 }
    const p1 = lonely.core.ping(nowhere).catch((e: DhtError) => e.code)
    const p2 = lonely.core.ping(nowhere).catch((e: DhtError) => e.code)
    await expect(lonely.core.ping(nowhere)).rejects.toMatchObject({ code: 'DHT_TOO_MANY_PENDING' })
    expect(await net.run(Promise.all([p1, p2]))).toEqual(['DHT_TIMEOUT', 'DHT_TIMEOUT'])
    expect(lonely.stats().pending).toBe(0)
  })

  it('addNode (a BEP 5 port message) pings the node and adds it only if it answers, once at a time', async () => {
    net = memoryNet()
    const me = net.add({ host: '10.2.0.1', port: 6881 })
    const other = net.add({ host: '10.2.0.2', port: 7000 })
    const silent = { host: '10.2.0.3', port: 7000 }
    const sentBefore = me.stats().sent
    const both = Promise.all([me.addNode(other.addresses()[0]!), me.addNode(other.addresses()[0]!)])
    expect(await net.run(both)).toEqual([true, false])
    expect(me.core.table(4)!.get(other.core.id)?.address).toEqual({ host: '10.2.0.2', port: 7000 })
    expect(me.stats().sent - sentBefore).toBe(1)
    // Known already, unusable, a family without a table: no datagram at all.
    expect(await me.addNode(other.addresses()[0]!)).toBe(false)
    expect(await me.addNode({ host: '0.0.0.0', port: 7000 })).toBe(false)
    expect(await me.addNode({ host: 'fd00::1', port: 7000 })).toBe(false)
    expect(me.stats().sent - sentBefore).toBe(1)
    expect(await net.run(me.addNode(silent))).toBe(false)
    expect(me.stats().nodes.v4).toBe(1)
  })
})
