import { type BencodeDict, decode, encode } from '@p2p/bencode'
import { afterEach, describe, expect, it } from 'vitest'
import { DhtError, MAX_PACKET_BYTES, parseMessage } from '../src/index.js'
import { memoryNet, rawEndpoint } from './helpers.js'

let net: ReturnType<typeof memoryNet>
afterEach(() => net?.close())

const id = new Uint8Array(20).fill(7)
const q = (name: string, a: Record<string, unknown>, t = 'aa') =>
  encode({ a: { id, ...a }, q: name, t, y: 'q' } as never)

/** Sends each datagram from a fresh source and returns what came back for it. */
async function battery(datagrams: Uint8Array[]) {
  net = memoryNet()
  const [target] = await net.grow(1)
  const to = target!.addresses()[0]!
  const replies: (BencodeDict | undefined)[] = []
  for (const [i, d] of datagrams.entries()) {
    const ep = rawEndpoint(net.net, { host: `10.200.${i >> 8}.${i & 255}`, port: 4000 })
    ep.send(d, to)
    await net.clock.advance(50)
    replies.push(ep.received[0] && (decode(ep.received[0]) as BencodeDict))
  }
  return { node: target!, replies }
}

const errorCode = (r: BencodeDict | undefined) =>
  r?.y instanceof Uint8Array && r.e ? (r.e as number[])[0] : undefined

describe('KRPC bad-input battery', () => {
  it('parseMessage gives a coded error for every malformed datagram', () => {
    const cases: [Uint8Array, string][] = [
      [new TextEncoder().encode('d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:'), 'DHT_INVALID_MESSAGE'],
      [encode(['not', 'a', 'dict']), 'DHT_INVALID_MESSAGE'],
      [encode(42), 'DHT_INVALID_MESSAGE'],
      [encode({ y: 'q', q: 'ping', a: { id } }), 'DHT_MISSING_TRANSACTION'],
      [encode({ t: 'aa', y: 'x' }), 'DHT_UNKNOWN_TYPE'],
      [encode({ t: 'aa', y: 'q', q: 'ping', a: {} }), 'DHT_INVALID_NODE_ID'],
      [encode({ t: 'aa', y: 'q', q: 'ping', a: { id: new Uint8Array(19) } }), 'DHT_INVALID_NODE_ID'],
      [encode({ t: 'aa', y: 'r', r: { id: new Uint8Array(21) } }), 'DHT_INVALID_NODE_ID'],
      [new Uint8Array(5000), 'DHT_INVALID_MESSAGE'],
    ]
    for (const [bytes, code] of cases) {
      expect(() => parseMessage(bytes)).toThrow(DhtError)
      try {
        parseMessage(bytes)
      } catch (e) {
        expect((e as DhtError).code).toBe(code)
      }
    }
  })

  it('answers with KRPC errors or drops; never crashes; counts what it saw', async () => {
    const forged = new Uint8Array(8).fill(1)
    const { node, replies } = await battery([
      new TextEncoder().encode('d1:t2:aa1:y1:q'), // truncated: no t recoverable -> dropped
      encode(['list']), // non-dict -> dropped
      encode({ t: 'aa', y: 'z' }), // unknown y -> 203
      encode({ y: 'q', q: 'ping', a: { id } }), // missing t -> dropped
      encode({ t: 'aa', y: 'q', q: 'ping', a: {} }), // missing id -> 203
      encode({ t: 'aa', y: 'q', q: 'ping', a: { id: new Uint8Array(10) } }), // short id -> 203
      q('find_node', { target: new Uint8Array(3) }), // bad target -> 203
      q('get_peers', {}), // no info_hash -> 203
      q('announce_peer', { info_hash: id, port: 6881, token: forged }), // forged token -> 203
      q('frobnicate', {}), // unknown method -> 204
      q('frobnicate', { target: id }), // unknown method with target -> answered with nodes
      encode({ t: 'aa', y: 'r', r: { id, nodes: new Uint8Array(26 * 1000) } }), // unsolicited huge nodes -> dropped
      q('ping', {}), // a good query still works
    ])
    expect(replies[0]).toBeUndefined()
    expect(replies[1]).toBeUndefined()
    expect(errorCode(replies[2])).toBe(203)
    expect(replies[3]).toBeUndefined()
    expect(errorCode(replies[4])).toBe(203)
    expect(errorCode(replies[5])).toBe(203)
    expect(errorCode(replies[6])).toBe(203)
    expect(errorCode(replies[7])).toBe(203)
    expect(errorCode(replies[8])).toBe(203)
    expect(errorCode(replies[9])).toBe(204)
    expect((replies[10]!.r as BencodeDict).nodes).toBeInstanceOf(Uint8Array)
    expect(replies[11]).toBeUndefined()
    expect((replies[12]!.r as BencodeDict).id).toEqual(node.core.id)
    const stats = node.stats()
    expect(stats.malformed.DHT_INVALID_MESSAGE).toBe(3) // truncated, list, over 4 KiB
    expect(stats.malformed.DHT_INVALID_NODE_ID).toBe(2)
    expect(stats.infoHashes).toBe(0)
  })

  it('a huge nodes string in an answer to our own query fails that query, not the node', async () => {
    net = memoryNet()
    const [node] = await net.grow(1)
    const evil = rawEndpoint(net.net, { host: '10.66.0.1', port: 6881 })
    evil.transport.onMessage((d, from) => {
      const { t } = parseMessage(d)
      evil.send(encode({ r: { id, nodes: new Uint8Array(26 * 500) }, t, y: 'r' }), from)
    })
    const result = await net.run(node!.core.findNode(new Uint8Array(20)))
    expect(result.nodes).toEqual([])
    await net.run(node!.core.bootstrap([{ host: '10.66.0.1', port: 6881 }]))
    expect(node!.stats().nodes.v4).toBeLessThanOrEqual(1)
  })

  it('announce with another port stores the sender IP with that port; implied_port uses the source port', async () => {
    net = memoryNet()
    const [node] = await net.grow(1)
    const to = node!.addresses()[0]!
    const ep = rawEndpoint(net.net, { host: '10.7.7.7', port: 5555 })
    ep.send(q('get_peers', { info_hash: id }), to)
    await net.clock.advance(50)
    const token = ((decode(ep.received[0]!) as BencodeDict).r as BencodeDict).token as Uint8Array
    ep.send(q('announce_peer', { info_hash: id, port: 6000, token }), to)
    ep.send(q('announce_peer', { info_hash: id, port: 6000, token, implied_port: 1 }), to)
    // A token given to 10.7.7.7 is worthless from another address.
    const other = rawEndpoint(net.net, { host: '10.7.7.8', port: 5555 })
    other.send(q('announce_peer', { info_hash: id, port: 6001, token }), to)
    await net.clock.advance(50)
    expect(errorCode(decode(other.received[0]!) as BencodeDict)).toBe(203)
    const peers = node!.core.peerStore.get(id, 4, 50, net.clock.now())
    expect(new Set(peers.map((p) => `${p.host}:${p.port}`))).toEqual(
      new Set(['10.7.7.7:6000', '10.7.7.7:5555']),
    )
  })

  it('drops spoofed-looking sources and rate-limits one address; answers stay under 1024 bytes', async () => {
    net = memoryNet()
    const nodes = await net.grow(40)
    const node = nodes[0]!
    const to = node.addresses()[0]!
    for (const host of ['0.0.0.0', '255.255.255.255', '224.0.0.1']) {
      const ep = rawEndpoint(net.net, { host, port: 6881 })
      ep.send(q('ping', {}), to)
      await net.clock.advance(50)
      expect(ep.received).toEqual([])
    }
    const zero = rawEndpoint(net.net, { host: '10.1.2.3', port: 0 })
    zero.send(q('ping', {}), to)
    await net.clock.advance(50)
    expect(zero.received).toEqual([])

    const flood = rawEndpoint(net.net, { host: '10.9.9.1', port: 7000 })
    for (let i = 0; i < 500; i++) flood.send(q('find_node', { target: id, want: ['n4', 'n6'] }), to)
    await net.clock.advance(50)
    expect(flood.received.length).toBeGreaterThan(0)
    expect(flood.received.length).toBeLessThanOrEqual(41)
    for (const r of flood.received) expect(r.length).toBeLessThanOrEqual(MAX_PACKET_BYTES)

    // get_peers on a crowded info hash: values are trimmed to fit the packet.
    for (let i = 0; i < 100; i++)
      node.core.peerStore.add(id, { host: `10.50.0.${i}`, port: 1000 + i }, net.clock.now())
    const asker = rawEndpoint(net.net, { host: '10.9.9.2', port: 7000 })
    asker.send(q('get_peers', { info_hash: id }), to)
    await net.clock.advance(50)
    const answer = asker.received[0]!
    expect(answer.length).toBeLessThanOrEqual(MAX_PACKET_BYTES)
    expect(((decode(answer) as BencodeDict).r as BencodeDict).values).toBeInstanceOf(Array)
  })

  it('peer store memory stays bounded under an announce flood', async () => {
    net = memoryNet()
    const [node] = await net.grow(1)
    const store = node!.core.peerStore
    for (let i = 0; i < 300; i++) store.add(id, { host: `10.60.${i >> 8}.${i & 255}`, port: 1 }, 0)
    expect(store.get(id, 4, 1000, 0).length).toBe(100)
    for (let i = 0; i < 6000; i++) {
      const h = new Uint8Array(20)
      h[0] = i >> 8
      h[1] = i & 255
      store.add(h, { host: '10.1.1.1', port: 1 }, 0)
    }
    expect(store.size).toBe(5000)
    store.expire(31 * 60_000)
    expect(store.size).toBe(0)
  })
})
