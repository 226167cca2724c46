import { randomBytes } from 'node:crypto'
import { generatePeerId } from '@p2p/peer-address'
import { announce, scrape, TrackerClient, type TrackerUpdate, UdpTransport } from '@p2p/tracker-client'
import { type AnnounceInfo, createTrackerServer, TrackerServerError } from '@p2p/tracker-server'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { announceQuery, closeServers, get, getDict, pct, startServer, text } from './helpers.js'

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
    const closed = new Promise((r) => server.once('close', r))
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
