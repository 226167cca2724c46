// Unit and property tests of the pieces: memory store, connection ids, query parsing, UDP parsing.
import { randomBytes } from 'node:crypto'
import { ConnectionIds, MemoryStore, normalizeKey, TrackerServerError } from '@p2p/tracker-server'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseAnnounceQuery, parseQuery } from '../src/http-query.js'
import { parseUdpAnnounce, parseUrlData } from '../src/udp.js'
import { storeAnnounce } from './helpers.js'

const req = storeAnnounce

describe('MemoryStore', () => {
  it('expires peers after peerTimeout and forgets empty torrents on sweep', () => {
    let now = 1_000_000
    const store = new MemoryStore({ peerTimeout: 1000, sweepInterval: 0, now: () => now })
    store.announce(req({ port: 1 }))
    now += 600
    store.announce(req({ port: 2 }))
    now += 600
    const r = store.announce(req({ port: 3 }))
    expect(r.peers.map((p) => p.port)).toEqual([2])
    expect(store.totals()).toMatchObject({ torrents: 1, seeders: 0, leechers: 2 })
    now += 5000
    store.sweep()
    expect(store.totals()).toMatchObject({ torrents: 0, seeders: 0, leechers: 0 })
  })

  it('evicts the peer seen longest ago and the torrent announced longest ago', () => {
    const store = new MemoryStore({ maxPeersPerTorrent: 2, maxTorrents: 2, sweepInterval: 0 })
    const first = req({ port: 1 })
    store.announce(first)
    store.announce(req({ port: 2 }))
    store.announce({ ...first, event: 'none' }) // refreshes port 1
    const r = store.announce(req({ port: 3 }))
    expect(r.peers.map((p) => p.port)).toEqual([1])
    store.announce(req({ infoHash: 'bb'.repeat(20) }))
    store.announce(req({ infoHash: 'cc'.repeat(20) }))
    expect(store.totals().torrents).toBe(2)
    expect(store.scrape(['aa'.repeat(20)])).toEqual([{ complete: 0, incomplete: 0, downloaded: 0 }])
  })

  it('gives seeders leechers, answers one family when asked, and never returns the requester', () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    store.announce(req({ seeder: true, port: 1 }))
    store.announce(req({ port: 2 }))
    store.announce(req({ host: '::1', family: 6, port: 3 }))
    const seeder = req({ seeder: true, port: 4, numwant: 1, families: [4] })
    expect(store.announce(seeder).peers.map((p) => p.port)).toEqual([2])
    const v6 = store.announce(req({ port: 5, families: [6] }))
    expect(v6.peers.map((p) => [p.host, p.port])).toEqual([['::1', 3]])
  })

  it('keeps counts consistent under any sequence of announces (property)', () => {
    const ids = Array.from({ length: 6 }, () => randomBytes(20))
    const op = fc.record({
      torrent: fc.integer({ min: 0, max: 3 }),
      peer: fc.integer({ min: 0, max: 5 }),
      seeder: fc.boolean(),
      event: fc.constantFrom('none', 'started', 'completed', 'stopped' as const),
      numwant: fc.integer({ min: 0, max: 10 }),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const store = new MemoryStore({ maxPeersPerTorrent: 4, maxTorrents: 3, sweepInterval: 0 })
        for (const o of ops) {
          const r = store.announce(
            req({
              infoHash: String(o.torrent).repeat(40),
              peerId: ids[o.peer]!,
              seeder: o.seeder,
              event: o.event,
              numwant: o.numwant,
            }),
          )
          expect(r.complete).toBeGreaterThanOrEqual(0)
          expect(r.incomplete).toBeGreaterThanOrEqual(0)
          expect(r.complete + r.incomplete).toBeLessThanOrEqual(4)
          expect(r.peers.length).toBeLessThanOrEqual(o.numwant)
          expect(r.peers.some((p) => Buffer.from(p.peerId).equals(ids[o.peer]!))).toBe(false)
        }
        const hashes = [0, 1, 2, 3].map((t) => String(t).repeat(40))
        const counts = store.scrape(hashes)
        const totals = store.totals()
        expect(totals.torrents).toBeLessThanOrEqual(3)
        expect(counts.reduce((a: number, c: { complete: number }) => a + c.complete, 0)).toBe(totals.seeders)
        expect(counts.reduce((a: number, c: { incomplete: number }) => a + c.incomplete, 0)).toBe(
          totals.leechers,
        )
        store.close()
      }),
    )
  })
})

describe('announce key', () => {
  it('normalises HTTP keys of up to 8 hex digits to the UDP number form', () => {
    expect(normalizeKey(Buffer.from('00ABCD12'))).toBe('abcd12')
    expect(normalizeKey(0xabcd12)).toBe('abcd12')
    expect(normalizeKey(0)).toBe('0')
    expect(normalizeKey(Buffer.from('hello'))).toBe('hello')
    expect(normalizeKey(Buffer.from('123456789'))).toBe('123456789')
    expect(normalizeKey(Buffer.alloc(0))).toBeUndefined()
    expect(normalizeKey(undefined)).toBeUndefined()
    expect(() => normalizeKey(Buffer.alloc(65, 0x61))).toThrow(TrackerServerError)
  })

  it('MemoryStore moves a peer id to another IP only with its key; full scrape lists live torrents', () => {
    const store = new MemoryStore({ sweepInterval: 0, peerTimeout: 1000, now: () => clock })
    let clock = 0
    const peerId = randomBytes(20)
    store.announce(req({ peerId, host: '10.0.0.1', key: 'k' }))
    store.announce(req({ peerId, host: '10.0.0.2', port: 2, key: 'k' }))
    const conflict = { code: 'TRACKER_SERVER_PEER_CONFLICT' }
    expect(() => store.announce(req({ peerId, host: '10.0.0.3', key: 'x' }))).toThrow(
      expect.objectContaining(conflict),
    )
    expect(() => store.announce(req({ peerId, host: '::1', family: 6 }))).toThrow(
      expect.objectContaining(conflict),
    )
    expect(() => store.announce(req({ peerId, host: '10.0.0.3', event: 'stopped' }))).toThrow(
      expect.objectContaining(conflict),
    )
    const r = store.announce(req({ infoHash: 'cd'.repeat(20), seeder: true }))
    expect(r.complete).toBe(1)
    const seen = store.announce(req({ numwant: 10 })).peers.map((p) => `${p.host}:${p.port}`)
    expect(seen).toEqual(['10.0.0.2:2'])
    expect(store.totals()).toMatchObject({ torrents: 2, leechers: 2, seeders: 1 })
    expect(store.fullScrape(10)).toEqual([
      { infoHash: 'ab'.repeat(20), complete: 0, incomplete: 2, downloaded: 0 },
      { infoHash: 'cd'.repeat(20), complete: 1, incomplete: 0, downloaded: 0 },
    ])
    expect(store.fullScrape(1)).toHaveLength(1)
    clock = 5000 // every peer expired
    expect(store.fullScrape(10)).toEqual([])
    store.close()
  })
})

describe('ConnectionIds', () => {
  it('accepts an id for one to two slots, only from the address it was issued to', () => {
    let now = 0
    const ids = new ConnectionIds({ slotMs: 60_000, now: () => now })
    const id = ids.issue('10.0.0.1')
    expect(ids.verify(id, '10.0.0.1')).toBe(true)
    expect(ids.verify(id, '10.0.0.2')).toBe(false)
    now = 119_999
    expect(ids.verify(id, '10.0.0.1')).toBe(true)
    now = 120_000
    expect(ids.verify(id, '10.0.0.1')).toBe(false)
    const other = new ConnectionIds({ now: () => 0 })
    expect(other.verify(id, '10.0.0.1')).toBe(false)
    expect(ids.verify(randomBytes(8), '::1')).toBe(false)
  })
})

describe('parsers (property)', () => {
  it('parseQuery round-trips any bytes and only ever throws TrackerServerError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const q = `a=1&info_hash=${[...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`
        expect(parseQuery(q).get('info_hash')?.[0]).toEqual(Buffer.from(bytes))
      }),
    )
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseQuery(s)
        } catch (err) {
          expect(err).toBeInstanceOf(TrackerServerError)
        }
      }),
    )
  })

  it('parseAnnounceQuery reads the announce fields exactly as parseQuery does', () => {
    const fields = [
      'info_hash',
      'peer_id',
      'key',
      'port',
      'left',
      'uploaded',
      'downloaded',
      'event',
      'numwant',
      'compact',
      'no_peer_id',
      'ip',
      'ipv4',
      'ipv6',
    ]
    // Encoded names, and names that only start like a field or that a field starts with.
    const names = [...fields, 'x', 'info%5Fhash', 'peer%5fid', 'ipv', 'keys']
    const part = fc.tuple(
      fc.constantFrom(...names),
      fc.uint8Array({ maxLength: 24 }),
      fc.constantFrom('pct', 'raw', 'plus', 'none'),
    )
    fc.assert(
      fc.property(fc.array(part, { maxLength: 12 }), (parts) => {
        const q = parts
          .map(([k, v, how]) =>
            how === 'none'
              ? k
              : `${k}=${how === 'pct' ? [...v].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') : how === 'plus' ? `+${Buffer.from(v).toString('hex')}+` : Buffer.from(v).toString('hex')}`,
          )
          .join('&')
        const all = parseQuery(q)
        const parsed = parseAnnounceQuery(q) as Record<string, Buffer | string | undefined>
        for (const k of fields) {
          const want = all.get(k)?.[0]
          const got = parsed[k]
          if (want === undefined) expect(got).toBeUndefined()
          else if (typeof got === 'string') expect(got).toBe(want.toString('latin1'))
          else expect(got).toEqual(want)
        }
      }),
    )
  })

  it('UDP announce and BEP 41 parsing never throw anything but coded errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const b = Buffer.from(bytes)
        expect(() => parseUrlData(b, 0)).not.toThrow()
        try {
          parseUdpAnnounce(b)
        } catch (err) {
          expect(err).toBeInstanceOf(TrackerServerError)
        }
      }),
    )
  })
})
