// Bad input battery: every malformed request gets an error answer and the tracker keeps serving.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { generatePeerId } from '@p2p/peer-address'
import { MemoryStore } from '@p2p/tracker-server'
import { afterEach, describe, expect, it } from 'vitest'
import {
  announceQuery,
  closeServers,
  get,
  getDict,
  pct,
  RawUdp,
  startServer,
  text,
  udpAnnounce,
} from './helpers.js'

afterEach(closeServers)

const failure = (d: Record<string, unknown>) => text(d['failure reason'])
const ih = randomBytes(20)
const pid = generatePeerId()

describe('HTTP bad input', () => {
  const cases: [string, string, RegExp][] = [
    [
      'bad percent-encoding',
      `?info_hash=%zz${pct(ih).slice(3)}&peer_id=${pct(pid)}&port=1`,
      /percent-encoding/,
    ],
    ['truncated escape', `?info_hash=${pct(ih)}&peer_id=${pct(pid)}&port=1&key=%4`, /percent-encoding/],
    ['missing info_hash', `?peer_id=${pct(pid)}&port=1`, /missing info_hash/],
    ['missing peer_id', `?info_hash=${pct(ih)}&port=1`, /missing peer_id/],
    ['missing port', `?info_hash=${pct(ih)}&peer_id=${pct(pid)}`, /missing port/],
    [
      'short info_hash',
      `?info_hash=${pct(ih.subarray(1))}&peer_id=${pct(pid)}&port=1`,
      /info_hash must be 20 bytes/,
    ],
    ['long peer_id', `?info_hash=${pct(ih)}&peer_id=${pct(pid)}AA&port=1`, /peer_id must be 20 bytes/],
    ['port 0', announceQuery({ infoHash: ih, peerId: pid, port: 0 }), /port/],
    ['port 70000', announceQuery({ infoHash: ih, peerId: pid, port: 70000 }), /port/],
    ['port -1', announceQuery({ infoHash: ih, peerId: pid, port: -1 }), /port/],
    [
      'negative left',
      announceQuery({ infoHash: ih, peerId: pid, port: 1, left: -5 }),
      /left must not be negative/,
    ],
    [
      'text left',
      announceQuery({ infoHash: ih, peerId: pid, port: 1, left: 'lots' }),
      /left must be a decimal/,
    ],
    ['huge left', announceQuery({ infoHash: ih, peerId: pid, port: 1, left: '9'.repeat(30) }), /left/],
    [
      'negative numwant',
      announceQuery({ infoHash: ih, peerId: pid, port: 1, extra: 'numwant=-3' }),
      /numwant/,
    ],
    [
      'unknown event',
      announceQuery({ infoHash: ih, peerId: pid, port: 1, event: 'exploded' }),
      /unknown event/,
    ],
    ['empty scrape', '', /full scrape/],
  ]
  it.each(cases)('%s => failure reason', async (_name, query, reason) => {
    const s = await startServer({ fullScrape: false })
    const path = reason.source === 'full scrape' ? '/scrape' : `/announce${query}`
    const r = await get(s.base, path)
    expect(r.status).toBe(200)
    const d = (await import('@p2p/bencode')).decode(r.body) as Record<string, unknown>
    expect(failure(d)).toMatch(reason)
    // Still serving.
    const ok = await getDict(s.base, `/announce${announceQuery({ infoHash: ih, peerId: pid, port: 1 })}`)
    expect(ok.interval).toBe(1800)
    expect((await s.server.stats()).failures).not.toEqual({})
  })

  it('caps a huge numwant and limits scrape size', async () => {
    const s = await startServer({ maxNumwant: 5, maxScrapeHashes: 3 })
    const d = await getDict(
      s.base,
      `/announce${announceQuery({ infoHash: ih, peerId: pid, port: 1, extra: `numwant=${'9'.repeat(19)}` })}`,
    )
    expect(d.interval).toBe(1800)
    const many = Array.from({ length: 4 }, () => `info_hash=${pct(randomBytes(20))}`).join('&')
    expect(failure(await getDict(s.base, `/scrape?${many}`))).toMatch(/at most 3/)
  })

  it('answers wrong methods, unknown paths, oversized headers and garbage with errors', async () => {
    const s = await startServer()
    expect((await get(s.base, '/nothing-here')).status).toBe(404)
    const big = await get(s.base, `/announce?x=${'a'.repeat(20_000)}`)
    expect(big.status).toBe(431)
    const port = s.httpPort!
    const garbage = await rawTcp(port, 'NOT HTTP AT ALL\r\n\r\n')
    expect(garbage).toMatch(/^HTTP\/1.1 400/)
    const post = await rawTcp(
      port,
      'POST /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    )
    expect(post).toMatch(/^HTTP\/1.1 405/)
    expect(
      (await getDict(s.base, `/announce${announceQuery({ infoHash: ih, peerId: pid, port: 1 })}`)).interval,
    ).toBe(1800)
  })

  it('answers pipelined requests in order, HTTP/1.0 with a close, HEAD without a body, refuses bodies', async () => {
    const s = await startServer({ keepAliveTimeout: 200 })
    const q = `/announce${announceQuery({ infoHash: ih, peerId: pid, port: 1 })}`
    const two = await rawTcp(
      s.httpPort!,
      `GET ${q} HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n`,
    )
    expect(two.match(/HTTP\/1.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 404'])
    // Closed by the keep-alive timeout (rawTcp resolves on close, or after 3 s).
    const old = await rawTcp(s.httpPort!, `GET ${q} HTTP/1.0\r\n\r\n`)
    expect(old).toMatch(/^HTTP\/1.1 200 OK\r\n[\s\S]*Connection: close\r\n\r\nd8:complete/)
    const head = await rawTcp(s.httpPort!, `HEAD ${q} HTTP/1.1\r\nConnection: close\r\n\r\n`)
    expect(head).toMatch(/Content-Length: [1-9]\d*\r\n/)
    expect(head.endsWith('\r\n\r\n')).toBe(true)
    const body = await rawTcp(s.httpPort!, `GET ${q} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello`)
    expect(body).toMatch(/^HTTP\/1.1 400/)
    const chunked = await rawTcp(
      s.httpPort!,
      `POST /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    )
    expect(chunked).toMatch(/^HTTP\/1.1 405/)
  })

  it('drops slow-loris clients after the header timeout', async () => {
    const s = await startServer({ httpTimeout: 300 })
    const sock = connect(s.httpPort!, '127.0.0.1')
    sock.write('GET /announce?info_hash=')
    const closed = await new Promise<string>((resolve) => {
      let got = ''
      sock.on('data', (b) => (got += b))
      sock.on('close', () => resolve(got))
      setTimeout(() => resolve('still open'), 10_000)
    })
    sock.destroy()
    expect(closed).not.toBe('still open')
  })

  it('rate-limits one address with a failure reason and retry in', async () => {
    const s = await startServer({ rateLimit: { perSecond: 0.001, burst: 3 } })
    const q = `/announce${announceQuery({ infoHash: ih, peerId: pid, port: 1 })}`
    for (let i = 0; i < 3; i++) expect((await getDict(s.base, q)).interval).toBe(1800)
    const limited = await getDict(s.base, q)
    expect(failure(limited)).toMatch(/too many requests/)
    expect(limited['retry in']).toBe(60)
    expect((await s.server.stats()).failures.TRACKER_SERVER_RATE_LIMITED).toBe(1)
  })

  it('keeps memory bounded under 10,000 distinct info hashes from one address', async () => {
    const store = new MemoryStore({ maxTorrents: 500, maxPeersPerTorrent: 10 })
    const s = await startServer({ store })
    const udp = await RawUdp.open()
    const conn = await udp.connect(s.udpPort!)
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) =>
          udp.socket.send(
            udpAnnounce(conn, { infoHash: randomBytes(20), peerId: pid, port: 1 + j }, i + j),
            s.udpPort!,
            '127.0.0.1',
          ),
        ),
      )
      await new Promise((r) => setTimeout(r, 20))
    }
    const stats = await s.server.stats()
    expect(stats.torrents).toBeLessThanOrEqual(500)
    expect(stats.seeders).toBeLessThanOrEqual(500)
    udp.close()
    store.close()
  })
})

describe('UDP bad input', () => {
  it('answers or drops every malformed packet and keeps serving', async () => {
    const s = await startServer({ maxUdpPacket: 1024 })
    const port = s.udpPort!
    const udp = await RawUdp.open()
    const errorText = (b: Buffer | undefined) => {
      expect(b?.readUInt32BE(0)).toBe(3)
      return b!.subarray(8).toString()
    }
    // Too short to carry a transaction id: no answer.
    expect(await udp.exchange(Buffer.alloc(10), port, '127.0.0.1', 200)).toBeUndefined()
    // Connect with a bad protocol id.
    const badConnect = Buffer.alloc(16)
    badConnect.writeUInt32BE(5, 12)
    expect(errorText(await udp.exchange(badConnect, port))).toMatch(/protocol id/)
    const conn = await udp.connect(port)
    // Unknown action.
    const unknown = Buffer.alloc(16)
    conn.copy(unknown)
    unknown.writeUInt32BE(77, 8)
    expect(errorText(await udp.exchange(unknown, port))).toMatch(/unknown action 77/)
    // Wrong connection id.
    expect(
      errorText(
        await udp.exchange(udpAnnounce(randomBytes(8), { infoHash: ih, peerId: pid, port: 1 }), port),
      ),
    ).toMatch(/connection id/)
    // Truncated announce.
    expect(
      errorText(
        await udp.exchange(udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 1 }).subarray(0, 60), port),
      ),
    ).toMatch(/at least 98/)
    // Oversized packet.
    const huge = Buffer.concat([
      udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 1 }),
      Buffer.alloc(2000, 1),
    ])
    expect(errorText(await udp.exchange(huge, port))).toMatch(/larger than 1024/)
    // Port 0 and an unknown event.
    expect(
      errorText(await udp.exchange(udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 0 }), port)),
    ).toMatch(/port/)
    expect(
      errorText(
        await udp.exchange(udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 1, event: 9 }), port),
      ),
    ).toMatch(/unknown event/)
    // Scrape without hashes.
    const scrape0 = Buffer.alloc(16)
    conn.copy(scrape0)
    scrape0.writeUInt32BE(2, 8)
    expect(errorText(await udp.exchange(scrape0, port))).toMatch(/scrape/)
    // Random garbage, then a valid announce still works.
    for (let i = 0; i < 300; i++) udp.socket.send(randomBytes(1 + (i % 200)), port, '127.0.0.1')
    const ok = await udp.exchange(
      udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 1, numwant: 2 ** 31 - 1 }, 424242),
      port,
    )
    expect(ok?.readUInt32BE(0)).toBe(1)
    udp.close()
  })

  it('reads BEP 41 URL data into the announce event', async () => {
    const s = await startServer()
    const udp = await RawUdp.open()
    const conn = await udp.connect(s.udpPort!)
    const seen = new Promise<string | undefined>((r) => s.server.once('announce', (a) => r(a.urlData)))
    const path = Buffer.from('/announce?passkey=abc')
    const opts = Buffer.concat([Buffer.from([1, 2, path.length]), path, Buffer.from([0, 2, 200])])
    const reply = await udp.exchange(
      Buffer.concat([udpAnnounce(conn, { infoHash: ih, peerId: pid, port: 1 }), opts]),
      s.udpPort!,
    )
    expect(reply?.readUInt32BE(0)).toBe(1)
    expect(await seen).toBe('/announce?passkey=abc')
    udp.close()
  })
})

function rawTcp(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(data))
    let got = ''
    sock.on('data', (b) => (got += b))
    sock.on('close', () => resolve(got))
    sock.on('error', reject)
    setTimeout(() => {
      sock.destroy()
      resolve(got)
    }, 3000)
  })
}
