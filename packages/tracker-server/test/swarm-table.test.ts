// The memory store's peer records: the swarm table (slots, hash table, seen order) and the store over it,
// against a plain model of what the store must do.
import { randomBytes } from 'node:crypto'
import { ipToBytes } from '@p2p/peer-address'
import { MemoryStore, type StoreAnnounce, TrackerServerError } from '@p2p/tracker-server'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Swarm } from '../src/swarm-table.js'
import { storeAnnounce as req } from './helpers.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const conflict = expect.objectContaining({ code: 'TRACKER_SERVER_PEER_CONFLICT' })

describe('Swarm table', () => {
  it('finds, moves and removes records whatever their hashes collide on (property)', () => {
    const ids = Array.from({ length: 40 }, () => randomBytes(20))
    // Few hash values: long probe runs that wrap around the table, and back-shifts on removal.
    const hashes = ids.map((_, i) => [0, 1, 2, -1, 0x7fffffff][i % 5]!)
    const op = fc.record({ peer: fc.integer({ min: 0, max: 39 }), remove: fc.boolean() })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const swarm = new Swarm()
        const model = new Map<number, number>() // peer -> port
        let port = 1
        for (const o of ops) {
          const slot = swarm.find(ids[o.peer]!, hashes[o.peer]!)
          expect(slot >= 0).toBe(model.has(o.peer))
          if (o.remove) {
            if (slot >= 0) swarm.remove(slot)
            model.delete(o.peer)
          } else if (slot >= 0) {
            swarm.refresh(slot, ipToBytes('10.0.0.1'), port, o.peer % 2 === 0, undefined, 0)
            model.set(o.peer, port++)
          } else {
            swarm.add(
              ids[o.peer]!,
              hashes[o.peer]!,
              ipToBytes('10.0.0.1'),
              port,
              o.peer % 2 === 0,
              undefined,
              0,
            )
            model.set(o.peer, port++)
          }
          expect(swarm.size).toBe(model.size)
        }
        for (let p = 0; p < ids.length; p++) {
          expect(swarm.find(ids[p]!, hashes[p]!) >= 0).toBe(model.has(p))
        }
        expect(swarm.seeders).toBe([...model.keys()].filter((p) => p % 2 === 0).length)
        // Every record is handed out once, with the port it was last announced with.
        const self = randomBytes(20)
        const all = swarm.pick(
          swarm.add(self, 3, ipToBytes('::1'), 1, false, undefined, 0),
          req({ numwant: 100 }),
        )
        const ports = all.peers.map((p) => p.port).sort((a, b) => a - b)
        expect(ports).toEqual([...model.values()].sort((a, b) => a - b))
        expect(all.peers.map((p) => hex(p.peerId)).sort()).toEqual(
          [...model.keys()].map((p) => hex(ids[p]!)).sort(),
        )
      }),
    )
  })
})

describe('MemoryStore records', () => {
  it('finds the peer moved into a removed slot, grows and shrinks with the swarm', () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    const ids = Array.from({ length: 2000 }, () => randomBytes(20))
    const host = (i: number) => `10.0.${i >> 8}.${i & 255}`
    for (const [i, peerId] of ids.entries()) store.announce(req({ peerId, host: host(i), numwant: 0 }))
    // A numwant that is not a whole number gets up to the next whole number of peers.
    expect(store.announce(req({ peerId: ids[0]!, host: host(0), numwant: 150.5 })).peers).toHaveLength(151)
    // A stop moves the last record into the stopped one's slot: that peer is still the same peer.
    store.announce(req({ peerId: ids[5]!, host: host(5), event: 'stopped' }))
    store.announce(req({ peerId: ids[1999]!, host: host(1999), numwant: 0 }))
    expect(store.totals()).toMatchObject({ leechers: 1999 })
    expect(() => store.announce(req({ peerId: ids[1999]!, host: '10.9.9.9' }))).toThrow(conflict)
    for (let i = 0; i < 1990; i++) {
      if (i !== 5) store.announce(req({ peerId: ids[i]!, host: host(i), event: 'stopped' }))
    }
    expect(store.totals()).toMatchObject({ leechers: 10 })
    for (let i = 1990; i < 2000; i++) store.announce(req({ peerId: ids[i]!, host: host(i), numwant: 0 }))
    const r = store.announce(req({ peerId: ids[1990]!, host: host(1990), numwant: 50 }))
    expect(r.peers.map((p) => p.host).sort()).toEqual(
      Array.from({ length: 9 }, (_, k) => host(1991 + k)).sort(),
    )
    store.close()
  })

  it('hands out IPv4 and IPv6 peers of one swarm in their own compact lists, in pick order', () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    const me = randomBytes(20)
    const hosts = ['10.0.0.1', '2001:db8::1', '10.0.0.2', '::ffff:7f00:1', '2001:db8::2']
    for (const [i, host] of hosts.entries())
      store.announce(req({ host, family: host.includes(':') ? 6 : 4, port: 100 + i }))
    const r = store.announce(req({ peerId: me, host: '10.0.0.9', numwant: 10 }))
    expect(r.peers.map((p) => p.host).sort()).toEqual(
      ['10.0.0.1', '10.0.0.2', '2001:db8::1', '2001:db8::2', '::ffff:7f00:1'].sort(),
    )
    const of = (family: 4 | 6) =>
      Buffer.concat(r.peers.filter((p) => p.family === family).map((p) => p.compact))
    expect(r.compact4).toEqual(of(4))
    expect(r.compact6).toEqual(of(6))
    expect(r.compact4!.length).toBe(12)
    expect(r.compact6!.length).toBe(54)
    for (const p of r.peers)
      expect(Buffer.from(p.compact.subarray(0, -2))).toEqual(Buffer.from(ipToBytes(p.host)))
    const v6 = store.announce(req({ peerId: me, host: '10.0.0.9', numwant: 10, families: [6] }))
    expect(v6.compact4!.length).toBe(0)
    expect(v6.peers.map((p) => p.family)).toEqual([6, 6, 6])
    // A compact-only caller gets the same lists and no peer objects.
    const compact = store.announce(req({ peerId: me, host: '10.0.0.9', numwant: 10, compactOnly: true }))
    expect(compact.compact4!.length + compact.compact6!.length).toBe(66)
    expect(compact.peers).toEqual([])
    store.close()
  })

  it('expires and evicts in the order peers were last seen, re-announces included', () => {
    let now = 0
    const store = new MemoryStore({
      sweepInterval: 0,
      peerTimeout: 1000,
      maxPeersPerTorrent: 3,
      now: () => now,
    })
    const [a, b, c, d] = Array.from({ length: 4 }, (_, i) => req({ port: i + 1, numwant: 0 }))
    store.announce(a!)
    now = 100
    store.announce(b!)
    now = 200
    store.announce(c!)
    now = 300
    store.announce({ ...a!, event: 'none' }) // a is now the most recently seen
    store.announce(d!) // the cap evicts b, the least recently seen
    expect(
      store
        .announce({ ...d!, numwant: 9, event: 'none' })
        .peers.map((p) => p.port)
        .sort(),
    ).toEqual([1, 3])
    now = 1200 // c (seen at 200) expires; a and d (300) stay
    expect(store.scrape([a!.infoHash])).toEqual([{ complete: 0, incomplete: 2, downloaded: 0 }])
    expect(store.announce({ ...d!, numwant: 9, event: 'none' }).peers.map((p) => p.port)).toEqual([1])
    now = 2500
    store.sweep()
    expect(store.totals()).toMatchObject({ torrents: 0, seeders: 0, leechers: 0 })
    store.close()
  })
})

/** What the store must do, kept plainly: peers by id in seen order. */
interface ModelPeer {
  ip: string
  port: number
  family: 4 | 6
  seeder: boolean
  seen: number
  key: string | undefined
}

class Model {
  readonly swarms = new Map<string, { peers: Map<string, ModelPeer>; downloaded: number }>()
  constructor(
    private readonly timeout: number,
    private readonly maxPeers: number,
  ) {}

  /** The counts and the peers the requester may get, or 'conflict'. */
  announce(r: StoreAnnounce, now: number) {
    let swarm = this.swarms.get(r.infoHash)
    if (swarm) this.expire(swarm.peers, now)
    else if (r.event === 'stopped')
      return { complete: 0, incomplete: 0, downloaded: 0, want: 0, eligible: [] }
    else {
      swarm = { peers: new Map(), downloaded: 0 }
      this.swarms.set(r.infoHash, swarm)
    }
    const id = hex(r.peerId)
    const ip = hex(ipToBytes(r.host))
    const known = swarm.peers.get(id)
    if (known && known.ip !== ip && (known.key === undefined || known.key !== r.key)) return 'conflict'
    if (r.event === 'stopped') {
      swarm.peers.delete(id)
      const counts = this.counts(swarm)
      if (swarm.peers.size === 0 && swarm.downloaded === 0) this.swarms.delete(r.infoHash)
      return { ...counts, want: 0, eligible: [] }
    }
    if (r.event === 'completed' && !known?.seeder) swarm.downloaded++
    if (!known && swarm.peers.size >= this.maxPeers) swarm.peers.delete(swarm.peers.keys().next().value!)
    swarm.peers.delete(id)
    const key = r.key ?? known?.key
    swarm.peers.set(id, { ip, port: r.port, family: r.family, seeder: r.seeder, seen: now, key })
    const counts = this.counts(swarm)
    const want = Math.min(r.numwant, swarm.peers.size - 1)
    const skipSeeders = r.seeder && counts.incomplete >= want
    const eligible = [...swarm.peers]
      .filter(([pid, p]) => pid !== id && r.families.includes(p.family) && !(skipSeeders && p.seeder))
      .map(([pid, p]) => `${pid}@${p.ip}:${p.port}`)
    return { ...counts, want: Math.max(want, 0), eligible }
  }

  sweep(now: number): void {
    for (const [hash, swarm] of this.swarms) {
      this.expire(swarm.peers, now)
      if (swarm.peers.size === 0 && swarm.downloaded === 0) this.swarms.delete(hash)
    }
  }

  private expire(peers: Map<string, ModelPeer>, now: number): void {
    for (const [id, p] of peers) {
      if (p.seen > now - this.timeout) break
      peers.delete(id)
    }
  }

  private counts(swarm: { peers: Map<string, ModelPeer>; downloaded: number }) {
    const complete = [...swarm.peers.values()].filter((p) => p.seeder).length
    return { complete, incomplete: swarm.peers.size - complete, downloaded: swarm.downloaded }
  }
}

describe('MemoryStore against a model', () => {
  it('agrees on counts, conflicts, expiry, eviction and the peers handed out (property)', () => {
    const ids = Array.from({ length: 10 }, () => randomBytes(20))
    const hosts = ['10.0.0.1', '10.0.0.2', '::1', '2001:db8::7', '::ffff:10.0.0.1']
    const keys = [undefined, 'abcd12', '0', 'ffffffff', 'hello', '0a', '100000000']
    const announce = fc.record({
      kind: fc.constant('announce' as const),
      torrent: fc.integer({ min: 0, max: 2 }),
      peer: fc.integer({ min: 0, max: 9 }),
      host: fc.integer({ min: 0, max: hosts.length - 1 }),
      port: fc.constantFrom(1, 2, 65535),
      key: fc.integer({ min: 0, max: keys.length - 1 }),
      seeder: fc.boolean(),
      event: fc.constantFrom('none', 'started', 'completed', 'stopped' as const),
      numwant: fc.constantFrom(0, 1, 3, 50),
      families: fc.constantFrom([4, 6] as const, [4] as const, [6] as const),
    })
    const tick = fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 600 }) })
    const sweep = fc.record({ kind: fc.constant('sweep' as const) })
    const op = fc.oneof(
      { arbitrary: announce, weight: 8 },
      { arbitrary: tick, weight: 2 },
      { arbitrary: sweep, weight: 1 },
    )
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        let now = 1_000_000
        const store = new MemoryStore({
          sweepInterval: 0,
          peerTimeout: 1000,
          maxPeersPerTorrent: 5,
          now: () => now,
        })
        const model = new Model(1000, 5)
        for (const o of ops) {
          if (o.kind === 'tick') now += o.ms
          else if (o.kind === 'sweep') {
            store.sweep()
            model.sweep(now)
          } else {
            const host = hosts[o.host]!
            const r = req({
              infoHash: String(o.torrent).repeat(40),
              peerId: ids[o.peer]!,
              host,
              family: host.includes(':') ? 6 : 4,
              port: o.port,
              key: keys[o.key],
              seeder: o.seeder,
              event: o.event,
              numwant: o.numwant,
              families: o.families,
            })
            const expected = model.announce(r, now)
            if (expected === 'conflict') {
              expect(() => store.announce(r)).toThrow(conflict)
              continue
            }
            const got = store.announce(r) as ReturnType<MemoryStore['announce']> & {
              compact4: Buffer
              compact6: Buffer
            }
            expect([got.complete, got.incomplete, got.downloaded]).toEqual([
              expected.complete,
              expected.incomplete,
              expected.downloaded,
            ])
            const peers = got.peers.map((p) => `${hex(p.peerId)}@${hex(ipToBytes(p.host))}:${p.port}`)
            expect(new Set(peers).size).toBe(peers.length)
            for (const p of peers) expect(expected.eligible).toContain(p)
            expect(peers.length).toBe(Math.min(expected.want, expected.eligible.length))
            expect((got.compact4?.length ?? 0) / 6 + (got.compact6?.length ?? 0) / 18).toBe(peers.length)
          }
          const live = [...model.swarms.values()].flatMap((s) => [...s.peers.values()])
          const seeders = live.filter((p) => p.seeder).length
          expect(store.totals()).toMatchObject({
            torrents: model.swarms.size,
            seeders,
            leechers: live.length - seeders,
          })
        }
        store.close()
      }),
      { numRuns: 300 },
    )
  })

  it('reads dotted quads exactly as ipToBytes does (property)', () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9.]{0,16}$/), (host) => {
        let bytes: Uint8Array | undefined
        try {
          bytes = ipToBytes(host)
        } catch {}
        const r = () => store.announce(req({ host, numwant: 0 }))
        if (bytes === undefined) expect(r).toThrow()
        else {
          r()
          const got = store.announce(req({ host: '::1', family: 6, numwant: 100, infoHash: 'ab'.repeat(20) }))
          expect(got.peers.some((p) => hex(p.compact.subarray(0, -2)) === hex(bytes!))).toBe(true)
        }
      }),
    )
    store.close()
  })

  it('refuses a peer id that is not 20 bytes', () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    expect(() => store.announce(req({ peerId: randomBytes(19) }))).toThrow(TrackerServerError)
    expect(store.totals().torrents).toBe(0)
    store.close()
  })
})
