import { randomBytes } from 'node:crypto'
import { generatePeerId } from '@p2p/peer-address'
import { announce, scrape, TrackerClient, type TrackerUpdate, UdpTransport } from '@p2p/tracker-client'
import { type AnnounceInfo, createTrackerServer, MemoryStore, TrackerServerError } from '@p2p/tracker-server'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  announceQuery,
  closeServers,
  get,
  getDict,
  pct,
  RawUdp,
  scrapeFiles,
  startServer,
  text,
  udpAnnounce,
} from './helpers.js'

const transport = new UdpTransport()
afterEach(closeServers)
afterAll(() => transport.close())
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe.each(['http', 'udp'] as const)('our tracker-client against our server over %s', (proto) => {
  const opts = { udpTransport: transport, timeout: 5000 }

  it('counts started / completed / stopped and hands out peers', async () => {
    const s = await startServer()
    const url = proto === 'http' ? s.httpUrl! : s.udpUrl!
    const infoHash = randomBytes(20)
    const leecher = { infoHash, peerId: generatePeerId(), port: 40001 }
    const seeder = { infoHash, peerId: generatePeerId(), port: 40002 }
    const seen: AnnounceInfo[] = []
    s.server.on('announce', (a) => seen.push(a))

    const first = await announce(url, { ...leecher, left: 1000, event: 'started' }, opts)
    expect(first.interval).toBe(1800)
    expect(first.peers).toEqual([])
    const second = await announce(url, { ...seeder, left: 0, event: 'started', numwant: 10 }, opts)
    expect(second.peers).toEqual([{ host: '127.0.0.1', port: 40001 }])
    expect(second).toMatchObject({ complete: 1, incomplete: 1 })
    if (proto === 'http') expect(second).toMatchObject({ minInterval: 300, trackerId: expect.any(String) })

    let files = (await scrape(url, [infoHash], opts)).files
    expect(files.get(hex(infoHash))).toEqual({ complete: 1, incomplete: 1, downloaded: 0 })
    await announce(url, { ...leecher, left: 0, event: 'completed' }, opts)
    files = (await scrape(url, [infoHash], opts)).files
    expect(files.get(hex(infoHash))).toEqual({ complete: 2, incomplete: 0, downloaded: 1 })
    // A second "completed" of the same (already seeding) peer is not a second download.
    await announce(url, { ...leecher, left: 0, event: 'completed' }, opts)
    await announce(url, { ...leecher, left: 0, event: 'stopped' }, opts)
    files = (await scrape(url, [infoHash], opts)).files
    expect(files.get(hex(infoHash))).toEqual({ complete: 1, incomplete: 0, downloaded: 1 })

    expect(seen.map((a) => [a.protocol, a.event, a.port])).toEqual([
      [proto, 'started', 40001],
      [proto, 'started', 40002],
      [proto, 'completed', 40001],
      [proto, 'completed', 40001],
      [proto, 'stopped', 40001],
    ])
    const stats = await s.server.stats()
    expect(stats).toMatchObject({ torrents: 1, seeders: 1, leechers: 0 })
    expect(stats.announces[proto]).toBe(5)
  })

  it('refuses a torrent off the allow-list with a failure reason', async () => {
    const allowed = randomBytes(20)
    const s = await startServer({ allowList: [hex(allowed)] })
    const url = proto === 'http' ? s.httpUrl! : s.udpUrl!
    const p = { peerId: generatePeerId(), port: 6881, left: 1 }
    await expect(announce(url, { ...p, infoHash: randomBytes(20) }, opts)).rejects.toMatchObject({
      code: 'TRACKER_FAILURE_REASON',
      message: expect.stringContaining('not registered'),
    })
    await expect(announce(url, { ...p, infoHash: allowed }, opts)).resolves.toMatchObject({ incomplete: 1 })
  })

  it('keeps a TrackerClient announced (tiers, events)', async () => {
    const s = await startServer({ interval: 60 })
    const url = proto === 'http' ? s.httpUrl! : s.udpUrl!
    const infoHash = randomBytes(20)
    await announce(url, { infoHash, peerId: generatePeerId(), port: 7000, left: 0, event: 'started' }, opts)
    const client = new TrackerClient({
      infoHash,
      peerId: generatePeerId(),
      port: 7001,
      announce: [[url]],
      left: 10,
      requestOptions: { udpTransport: transport },
    })
    const update = new Promise<TrackerUpdate>((resolve) => client.once('update', resolve))
    client.start()
    expect((await update).peers).toEqual([{ host: '127.0.0.1', port: 7000 }])
    await client.stop()
    expect(await s.server.stats()).toMatchObject({ seeders: 1, leechers: 0 })
  })
})

describe('HTTP specifics', () => {
  it('answers non-compact with peer ids, no_peer_id without, and caps numwant', async () => {
    const s = await startServer({ maxNumwant: 3, warning: 'be nice' })
    const infoHash = randomBytes(20)
    const ids = Array.from({ length: 6 }, () => generatePeerId())
    for (const [i, peerId] of ids.entries()) {
      await getDict(s.base, `/announce${announceQuery({ infoHash, peerId, port: 50000 + i, left: 5 })}`)
    }
    const me = generatePeerId()
    const full = await getDict(
      s.base,
      `/announce${announceQuery({ infoHash, peerId: me, port: 1, extra: 'compact=0&numwant=1000' })}`,
    )
    const peers = full.peers as { ip: Uint8Array; port: number; 'peer id': Uint8Array }[]
    expect(peers).toHaveLength(3)
    for (const p of peers) {
      expect(text(p.ip)).toBe('127.0.0.1')
      expect(ids.map(hex)).toContain(hex(p['peer id']))
    }
    expect(text(full['warning message'])).toBe('be nice')
    expect(full).toMatchObject({ complete: 1, incomplete: 6, interval: 1800, 'min interval': 300 })
    const bare = await getDict(
      s.base,
      `/announce${announceQuery({ infoHash, peerId: me, port: 1, extra: 'compact=0&no_peer_id=1' })}`,
    )
    for (const p of bare.peers as Record<string, unknown>[])
      expect(Object.keys(p).sort()).toEqual(['ip', 'port'])
    const compact = await getDict(
      s.base,
      `/announce${announceQuery({ infoHash, peerId: me, port: 1, extra: 'numwant=2' })}`,
    )
    expect((compact.peers as Uint8Array).length).toBe(12)
    expect(compact.peers6).toBeUndefined()
  })

  it('scrapes several hashes with BEP 48 flags; unknown ones read as zeros; deduplicates', async () => {
    const s = await startServer()
    const a = randomBytes(20)
    const b = randomBytes(20)
    await getDict(
      s.base,
      `/announce${announceQuery({ infoHash: a, peerId: generatePeerId(), port: 9, left: 0 })}`,
    )
    const r = await getDict(s.base, `/scrape?info_hash=${pct(a)}&info_hash=${pct(b)}&info_hash=${pct(a)}`)
    const files = r.files as Record<string, unknown>
    expect(Object.keys(files)).toHaveLength(2)
    expect(Object.values(files)).toContainEqual({ complete: 1, downloaded: 0, incomplete: 0 })
    expect(Object.values(files)).toContainEqual({ complete: 0, downloaded: 0, incomplete: 0 })
    expect(r.flags).toEqual({ min_request_interval: 300 })
  })

  it('serves /stats JSON and Prometheus /metrics', async () => {
    const s = await startServer()
    await getDict(
      s.base,
      `/announce${announceQuery({ infoHash: randomBytes(20), peerId: generatePeerId(), port: 9, left: 3, event: 'started' })}`,
    )
    const stats = JSON.parse((await get(s.base, '/stats')).body.toString())
    expect(stats).toMatchObject({ torrents: 1, seeders: 0, leechers: 1, announces: { http: 1, udp: 0 } })
    expect(stats.announcesPerSecond).toBeGreaterThanOrEqual(0)
    const metrics = (await get(s.base, '/metrics')).body.toString()
    expect(metrics).toContain('p2p_tracker_leechers 1')
    expect(metrics).toContain('p2p_tracker_torrents 1')
    expect(metrics).toMatch(/p2p_tracker_announces_total\{protocol="any",event="started"\} 1/)
  })

  it('listens on IPv6 too and answers peers6 to IPv6 peers', async () => {
    const s = await startServer({ host: ['127.0.0.1', '::1'] })
    const infoHash = randomBytes(20)
    const v6Base = s.base.replace('127.0.0.1', '[::1]')
    await getDict(
      v6Base,
      `/announce${announceQuery({ infoHash, peerId: generatePeerId(), port: 6000, left: 1 })}`,
    )
    const r = await getDict(
      s.base,
      `/announce${announceQuery({ infoHash, peerId: generatePeerId(), port: 6001, left: 1 })}`,
    )
    expect((r.peers as Uint8Array).length).toBe(0)
    expect(Buffer.from(r.peers6 as Uint8Array).toString('hex')).toBe(
      `${'00'.repeat(15)}01${(6000).toString(16).padStart(4, '0')}`,
    )
    const udp6 = s.udpUrl!.replace('127.0.0.1', '[::1]')
    const viaUdp6 = await announce(
      udp6,
      { infoHash, peerId: generatePeerId(), port: 6002, left: 1 },
      { udpTransport: transport, timeout: 5000 },
    )
    expect(viaUdp6.peers).toContainEqual({ host: '::1', port: 6000 })
  })
})

describe('announce key: a peer id moves to another IP only with its key', () => {
  /** The peers (ip:port) a fresh HTTP announce sees on a torrent (the observer stops right after). */
  async function peersOf(base: string, infoHash: Uint8Array): Promise<string[]> {
    const q = { infoHash, peerId: generatePeerId(), port: 1, left: 1 }
    const d = await getDict(base, `/announce${announceQuery({ ...q, extra: 'compact=0&ip=10.9.9.9' })}`)
    await getDict(base, `/announce${announceQuery({ ...q, event: 'stopped', extra: 'ip=10.9.9.9' })}`)
    return (d.peers as { ip: Uint8Array; port: number }[]).map((p) => `${text(p.ip)}:${p.port}`).sort()
  }
  const httpAnnounce = (base: string, q: Parameters<typeof announceQuery>[0]) =>
    getDict(base, `/announce${announceQuery(q)}`)

  it('over HTTP (and the same key over UDP): moves with the key, refuses without it', async () => {
    const s = await startServer({ trustIpParam: true })
    const infoHash = randomBytes(20)
    const peerId = generatePeerId()
    const at = (ip: string, port: number, extra = '') =>
      httpAnnounce(s.base, { infoHash, peerId, port, left: 5, extra: `ip=${ip}${extra}` })
    expect((await at('10.0.0.1', 1000, '&key=ABCD1234')).interval).toBe(1800)
    // Same key, new address: the entry moves (no duplicate).
    expect((await at('10.0.0.2', 1001, '&key=abcd1234')).interval).toBe(1800)
    expect(await peersOf(s.base, infoHash)).toEqual(['10.0.0.2:1001'])
    // Another key, or none, from another address cannot take the peer id over, nor stop it.
    for (const extra of ['&key=deadbeef', '', '&key=abcd1234zz']) {
      const r = await at('10.0.0.3', 1002, extra)
      expect(text(r['failure reason'])).toMatch(/another address/)
    }
    expect(text((await at('10.0.0.3', 1002, '&key=deadbeef&event=stopped'))['failure reason'])).toMatch(
      /another address/,
    )
    // The same address may re-announce without the key (and on another port).
    expect((await at('10.0.0.2', 1003)).interval).toBe(1800)
    expect(await peersOf(s.base, infoHash)).toEqual(['10.0.0.2:1003'])
    // UDP sends the key as a number: the HTTP key's 8 hex digits are the same key.
    const udp = await RawUdp.open()
    try {
      const id = await udp.connect(s.udpPort!)
      const moved = await udp.exchange(
        udpAnnounce(id, { infoHash, peerId, port: 1004, left: 5n, key: 0xabcd1234, ip: '10.0.0.4' }),
        s.udpPort!,
      )
      expect(moved?.readUInt32BE(0)).toBe(1)
      const stolen = await udp.exchange(
        udpAnnounce(id, { infoHash, peerId, port: 1005, left: 5n, key: 7, ip: '10.0.0.5' }),
        s.udpPort!,
      )
      expect(stolen?.readUInt32BE(0)).toBe(3)
      expect(stolen?.subarray(8).toString()).toMatch(/another address/)
    } finally {
      udp.close()
    }
    expect(await peersOf(s.base, infoHash)).toEqual(['10.0.0.4:1004'])
    expect((await s.server.stats()).failures.TRACKER_SERVER_PEER_CONFLICT).toBe(5)
  })

  it('over UDP: the key field moves a peer; a stop from another key is refused', async () => {
    const s = await startServer({ trustIpParam: true })
    const infoHash = randomBytes(20)
    const peerId = generatePeerId()
    const udp = await RawUdp.open()
    try {
      const id = await udp.connect(s.udpPort!)
      const send = (ip: string, key: number, event = 2) =>
        udp.exchange(udpAnnounce(id, { infoHash, peerId, port: 2000, left: 1n, key, ip, event }), s.udpPort!)
      expect((await send('10.1.0.1', 42))?.readUInt32BE(0)).toBe(1)
      expect((await send('10.1.0.2', 42))?.readUInt32BE(0)).toBe(1)
      expect((await send('10.1.0.3', 43, 3))?.readUInt32BE(0)).toBe(3)
      expect(await peersOf(s.base, infoHash)).toEqual(['10.1.0.2:2000'])
      expect((await send('10.1.0.3', 42, 3))?.readUInt32BE(0)).toBe(1) // stopped, with the key
      expect(await peersOf(s.base, infoHash)).toEqual([])
    } finally {
      udp.close()
    }
  })

  it('refuses a key longer than 64 bytes', async () => {
    const s = await startServer()
    const r = await httpAnnounce(s.base, {
      infoHash: randomBytes(20),
      peerId: generatePeerId(),
      port: 1,
      extra: `key=${'k'.repeat(65)}`,
    })
    expect(text(r['failure reason'])).toMatch(/key/)
  })
})

describe('full scrape (BEP 48 scrape without info_hash)', () => {
  async function seed(base: string, n: number): Promise<Buffer[]> {
    const hashes = Array.from({ length: n }, () => randomBytes(20))
    for (const [i, infoHash] of hashes.entries()) {
      for (let p = 0; p <= i; p++) {
        const q = { infoHash, peerId: generatePeerId(), port: 100 + p, left: p === 0 ? 0 : 1 }
        await getDict(base, `/announce${announceQuery(q)}`)
      }
    }
    return hashes
  }

  it('answers every torrent with its counts, on passkey paths too', async () => {
    const s = await startServer()
    const hashes = await seed(s.base, 3)
    const seen: unknown[] = []
    s.server.on('scrape', (e) => seen.push(e))
    for (const path of ['/scrape', '/secret/scrape']) {
      const r = await get(s.base, path)
      const files = scrapeFiles(r.body)
      expect([...files.keys()].sort()).toEqual(hashes.map(hex).sort())
      for (const [i, h] of hashes.entries()) {
        expect(files.get(hex(h))).toEqual({ complete: 1, downloaded: 0, incomplete: i })
      }
    }
    expect(seen).toEqual([
      { protocol: 'http', host: '127.0.0.1', infoHashes: [], full: true },
      { protocol: 'http', host: '127.0.0.1', infoHashes: [], full: true },
    ])
    expect((await s.server.stats()).scrapes.http).toBe(2)
  })

  it('is capped by maxFullScrape and refused when fullScrape is false', async () => {
    const capped = await startServer({ maxFullScrape: 2 })
    await seed(capped.base, 4)
    expect(scrapeFiles((await get(capped.base, '/scrape')).body).size).toBe(2)
    const off = await startServer({ fullScrape: false })
    await seed(off.base, 1)
    const r = await getDict(off.base, '/scrape')
    expect(text(r['failure reason'])).toMatch(/full scrape is not supported/)
    expect(() => createTrackerServer({ maxFullScrape: 0 })).toThrow(TrackerServerError)
  })

  it('reuses a full scrape answer for fullScrapeCacheMs (0 = always fresh)', async () => {
    for (const [options, second] of [
      [{}, 1],
      [{ fullScrapeCacheMs: 0 }, 2],
    ] as const) {
      const s = await startServer(options)
      await seed(s.base, 1)
      expect(scrapeFiles((await get(s.base, '/scrape')).body).size).toBe(1)
      await seed(s.base, 1)
      expect(scrapeFiles((await get(s.base, '/scrape')).body).size).toBe(second)
      expect((await s.server.stats()).scrapes.http).toBe(2)
    }
    expect(() => createTrackerServer({ fullScrapeCacheMs: -1 })).toThrow(TrackerServerError)
  })

  it('leaves out torrents off the allow-list (a store shared with an open tracker)', async () => {
    const store = new MemoryStore({ sweepInterval: 0 })
    const open = await startServer({ store })
    const hashes = await seed(open.base, 3)
    const closed = await startServer({ store, allowList: [hex(hashes[1]!)] })
    const files = scrapeFiles((await get(closed.base, '/scrape')).body)
    expect([...files.keys()]).toEqual([hex(hashes[1]!)])
    store.close()
  })
})

describe('lifecycle', () => {
  it('closes with idle and half-sent connections open, and leaves no handles behind', async () => {
    const before = process.getActiveResourcesInfo().length
    const server = createTrackerServer({ closeTimeout: 300 })
    const { httpPort } = await server.listen()
    const { connect } = await import('node:net')
    const idle = connect(httpPort!, '127.0.0.1')
    const partial = connect(httpPort!, '127.0.0.1')
    for (const s of [idle, partial]) s.on('error', () => {}) // a reset is how a cut connection ends
    await Promise.all([idle, partial].map((s) => new Promise((r) => s.once('connect', r))))
    partial.write('GET /announce?info_hash=')
    const closedSockets = Promise.all([idle, partial].map((s) => new Promise((r) => s.once('close', r))))
    await server.close()
    await closedSockets
    await new Promise((r) => setTimeout(r, 50))
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(before)
  })

  it('closes on abort and refuses to listen again', async () => {
    const ac = new AbortController()
    const server = createTrackerServer({ signal: ac.signal })
    await server.listen()
    const closed = new Promise<void>((r) => server.once('close', () => r()))
    ac.abort()
    await closed
    await expect(server.listen()).rejects.toMatchObject({ code: 'TRACKER_SERVER_CLOSED' })
  })

  it('reports a port in use as TRACKER_SERVER_LISTEN and bad options as TRACKER_SERVER_BAD_OPTION', async () => {
    const s = await startServer()
    const other = createTrackerServer({ httpPort: s.httpPort, udp: false })
    await expect(other.listen()).rejects.toBeInstanceOf(TrackerServerError)
    await expect(other.listen()).rejects.toMatchObject({ code: 'TRACKER_SERVER_LISTEN' })
    expect(() => createTrackerServer({ interval: -1 })).toThrow(
      expect.objectContaining({ code: 'TRACKER_SERVER_BAD_OPTION' }),
    )
    expect(() => createTrackerServer({ host: 'localhost' })).toThrow(
      expect.objectContaining({ code: 'TRACKER_SERVER_BAD_OPTION' }),
    )
    expect(() => createTrackerServer({ allowList: ['xyz'] })).toThrow(
      expect.objectContaining({ code: 'TRACKER_SERVER_BAD_OPTION' }),
    )
  })
})

describe('compact answer encoding', () => {
  it('is byte-identical to the generic bencoder (property)', async () => {
    const fc = (await import('fast-check')).default
    const { encode } = await import('@p2p/bencode')
    const { announceBody } = await import('../src/http.js')
    const peer = fc.oneof(
      fc.record({ family: fc.constant(4 as const), compact: fc.uint8Array({ minLength: 6, maxLength: 6 }) }),
      fc.record({
        family: fc.constant(6 as const),
        compact: fc.uint8Array({ minLength: 18, maxLength: 18 }),
      }),
    )
    fc.assert(
      fc.property(
        fc.array(peer, { maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.option(fc.string(), { nil: undefined }),
        (peers, complete, incomplete, downloaded, warning) => {
          const core = { interval: 1800, minInterval: 300, trackerId: 'abc', warning } as never
          const result = {
            complete,
            incomplete,
            downloaded,
            peers: peers.map((p) => ({ ...p, host: '', port: 1, peerId: new Uint8Array(20) })),
          }
          const v4 = Buffer.concat(peers.filter((p) => p.family === 4).map((p) => p.compact))
          const v6 = Buffer.concat(peers.filter((p) => p.family === 6).map((p) => p.compact))
          const expected = encode({
            complete,
            downloaded,
            incomplete,
            interval: 1800,
            'min interval': 300,
            peers: v4,
            ...(v6.length ? { peers6: v6 } : {}),
            'tracker id': 'abc',
            ...(warning === undefined ? {} : { 'warning message': warning }),
          })
          expect(Buffer.from(announceBody(core, result, true, false)).equals(Buffer.from(expected))).toBe(
            true,
          )
        },
      ),
    )
  })
})
