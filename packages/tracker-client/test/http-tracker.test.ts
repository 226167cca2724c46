import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { encode } from '@p2p/bencode'
import { encodeCompactPeers } from '@p2p/peer-address'
import { announce, scrape } from '@p2p/tracker-client'
import { afterEach, describe, expect, it } from 'vitest'
import { type HttpTracker, httpTracker, queryBytes, queryText, rejection } from './servers.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 250) & 0xff) // binary, with %-worthy bytes
const peerId = new TextEncoder().encode('-P20010-ab cd&=%?/xy')
const params = { infoHash, peerId, port: 6881, left: 1000, uploaded: 5, downloaded: 7 }

let trackers: HttpTracker[] = []
afterEach(async () => {
  await Promise.all(trackers.map((t) => t.close()))
  trackers = []
})
async function serve(body: Uint8Array | string | ((url: string) => Uint8Array), status = 200) {
  const t = await httpTracker((req, res) => {
    res.statusCode = status
    res.end(typeof body === 'function' ? body(req.url ?? '') : body)
  })
  trackers.push(t)
  return t
}

describe('HTTP announce request', () => {
  it('percent-encodes binary info_hash and peer_id and sends every BEP 3/7/23 key', async () => {
    const t = await serve(encode({ interval: 900, peers: new Uint8Array(0) }))
    await announce(`${t.url}?passkey=abc`, {
      ...params,
      event: 'started',
      numwant: 25,
      key: 0xdeadbeef,
      trackerId: 'tid 1',
    })
    const q = t.requests[0]!
    expect(q.startsWith('/announce?passkey=abc&')).toBe(true)
    expect(queryBytes(q, 'info_hash')[0]).toEqual(Buffer.from(infoHash))
    expect(queryBytes(q, 'peer_id')[0]).toEqual(Buffer.from(peerId))
    expect(q).not.toMatch(/[^\x21-\x7e]/) // nothing raw on the wire
    expect(queryText(q, 'port')).toBe('6881')
    expect(queryText(q, 'left')).toBe('1000')
    expect(queryText(q, 'uploaded')).toBe('5')
    expect(queryText(q, 'downloaded')).toBe('7')
    expect(queryText(q, 'compact')).toBe('1')
    expect(queryText(q, 'event')).toBe('started')
    expect(queryText(q, 'numwant')).toBe('25')
    expect(queryText(q, 'key')).toBe('deadbeef')
    expect(queryText(q, 'trackerid')).toBe('tid 1')
  })

  it('leaves out event for a regular announce and accepts bigint byte counts', async () => {
    const t = await serve(encode({ interval: 900, peers: new Uint8Array(0) }))
    await announce(t.url, { ...params, left: 2n ** 40n, event: 'none' })
    expect(queryText(t.requests[0]!, 'event')).toBeUndefined()
    expect(queryText(t.requests[0]!, 'left')).toBe(String(2 ** 40))
  })

  it('rejects bad parameters before any network use', async () => {
    for (const bad of [
      { ...params, infoHash: new Uint8Array(19) },
      { ...params, peerId: new Uint8Array(21) },
      { ...params, port: 0 },
      { ...params, left: -1 },
      { ...params, numwant: 1.5 },
      { ...params, key: 2 ** 32 },
    ]) {
      const err = await rejection(announce('http://127.0.0.1:1/announce', bad))
      expect(err.code).toBe('TRACKER_INVALID_PARAMS')
    }
  })

  it('rejects URLs it cannot use', async () => {
    for (const url of ['not a url', 'ftp://x/announce', 'udp://127.0.0.1/announce', 'wss://t/announce']) {
      expect((await rejection(announce(url, params))).code).toBe('TRACKER_INVALID_URL')
    }
  })
})

describe('HTTP announce response', () => {
  it('reads compact IPv4 peers, BEP 7 peers6, counts, min interval, tracker id and warning', async () => {
    const t = await serve(
      encode({
        interval: 1200,
        'min interval': 60,
        complete: 4,
        incomplete: 9,
        'tracker id': 'abc',
        'warning message': 'be nice',
        peers: encodeCompactPeers(
          [
            { host: '10.0.0.1', port: 6881 },
            { host: '10.0.0.2', port: 6882 },
          ],
          4,
        ),
        peers6: encodeCompactPeers([{ host: '2001:db8::1', port: 51413 }], 6),
      }),
    )
    const res = await announce(t.url, params)
    expect(res).toEqual({
      interval: 1200,
      minInterval: 60,
      complete: 4,
      incomplete: 9,
      trackerId: 'abc',
      warning: 'be nice',
      peers: [
        { host: '10.0.0.1', port: 6881 },
        { host: '10.0.0.2', port: 6882 },
        { host: '2001:db8::1', port: 51413 },
      ],
    })
  })

  it('reads the BEP 3 dictionary form, skipping malformed entries and duplicates', async () => {
    const t = await serve(
      encode({
        interval: 60,
        peers: [
          { ip: '192.0.2.7', port: 7000, 'peer id': 'x'.repeat(20) },
          { ip: '::ffff:192.0.2.8', port: 7001 },
          { ip: '2001:db8::2', port: 7002 },
          { ip: 'peer.example', port: 7003 },
          { ip: '192.0.2.7', port: 7000 },
          { ip: 'bad host!', port: 1 },
          { ip: '192.0.2.9', port: 0 },
          { ip: '192.0.2.9', port: 70000 },
          { port: 5 },
          'junk',
        ],
      }),
    )
    const res = await announce(t.url, params)
    expect(res.peers).toEqual([
      { host: '192.0.2.7', port: 7000 },
      { host: '192.0.2.8', port: 7001 },
      { host: '2001:db8::2', port: 7002 },
      { host: 'peer.example', port: 7003 },
    ])
  })

  it('bounds the peers kept from one response and ignores a partial trailing compact entry', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      host: `10.1.${i >> 8}.${i & 255}`,
      port: 1000 + i,
    }))
    const compact = encodeCompactPeers(many, 4)
    const t = await serve(encode({ interval: 60, peers: Buffer.concat([compact, Buffer.from([1, 2, 3])]) }))
    expect((await announce(t.url, params, { maxPeers: 10 })).peers).toEqual(many.slice(0, 10))
    expect((await announce(t.url, params)).peers).toHaveLength(500)
  })

  it('turns a failure reason into TRACKER_FAILURE_REASON, also on a 4xx status', async () => {
    for (const status of [200, 400]) {
      const t = await serve(encode({ 'failure reason': 'torrent not registered' }), status)
      const err = await rejection(announce(t.url, params))
      expect(err.code).toBe('TRACKER_FAILURE_REASON')
      expect(err.message).toContain('torrent not registered')
      expect(err.url).toContain(t.url)
    }
  })

  it('reports a non-2xx status without a bencoded body as TRACKER_HTTP_STATUS', async () => {
    const t = await serve('<html>Service Unavailable</html>', 503)
    const err = await rejection(announce(t.url, params))
    expect(err.code).toBe('TRACKER_HTTP_STATUS')
    expect(err.status).toBe(503)
  })

  it('rejects HTML, bad bencode, non-dictionaries and empty dictionaries as TRACKER_BAD_RESPONSE', async () => {
    for (const body of ['<html><body>Welcome</body></html>', 'd8:intervali60e5:peers', 'li1ee', 'de', '']) {
      const t = await serve(body)
      expect((await rejection(announce(t.url, params))).code).toBe('TRACKER_BAD_RESPONSE')
    }
  })

  it('rejects a body cut short by the server', async () => {
    const t = await httpTracker((_req, res) => {
      res.writeHead(200, { 'content-length': '500' })
      res.write('d8:intervali60e5:peers')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    trackers.push(t)
    expect((await rejection(announce(t.url, params))).code).toBe('TRACKER_BAD_RESPONSE')
  })

  it('refuses oversized responses, declared or streamed, without buffering them', async () => {
    const declared = await httpTracker((_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) })
      res.write('d')
    })
    trackers.push(declared)
    let sent = 0
    const streamed = await httpTracker((_req, res) => {
      res.writeHead(200) // chunked, no length
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      const pump = () => {
        while (sent < 50 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    trackers.push(streamed)
    for (const t of [declared, streamed]) {
      const err = await rejection(announce(t.url, params, { maxResponseBytes: 256 * 1024 }))
      expect(err.code).toBe('TRACKER_RESPONSE_TOO_LARGE')
    }
    expect(sent).toBeLessThan(50 * 1024 * 1024)
  })
})

describe('HTTP transport failures', () => {
  it('times out a slow tracker with TRACKER_TIMEOUT', async () => {
    const t = await httpTracker(() => {}) // never answers
    trackers.push(t)
    const err = await rejection(announce(t.url, params, { timeout: 200 }))
    expect(err.code).toBe('TRACKER_TIMEOUT')
  })

  it('aborts with TRACKER_ABORTED, before or during the request', async () => {
    const t = await httpTracker(() => {})
    trackers.push(t)
    const pre = await rejection(announce(t.url, params, { signal: AbortSignal.abort('x') }))
    expect(pre.code).toBe('TRACKER_ABORTED')
    const ac = new AbortController()
    const pending = announce(t.url, params, { signal: ac.signal })
    setTimeout(() => ac.abort(new Error('user')), 50)
    const during = await rejection(pending)
    expect(during.code).toBe('TRACKER_ABORTED')
    expect((during.cause as Error).message).toBe('user')
  })

  it('reports a closed port as TRACKER_REFUSED', async () => {
    const t = await serve('x')
    const url = t.url
    await t.close()
    trackers = []
    expect((await rejection(announce(url, params))).code).toBe('TRACKER_REFUSED')
  })

  it('reports a name that does not resolve as TRACKER_DNS, over HTTP and UDP', async () => {
    // .invalid is reserved (RFC 6761): it never resolves.
    for (const url of ['http://tracker.invalid/announce', 'udp://tracker.invalid:6969']) {
      expect((await rejection(announce(url, params, { timeout: 10_000 }))).code).toBe('TRACKER_DNS')
    }
  })

  it('follows a bounded number of redirects, relative ones included, and only to http(s)', async () => {
    const target = await serve(encode({ interval: 77, peers: new Uint8Array(0) }))
    const hop = await httpTracker((_req, res) => {
      res.writeHead(302, { location: `${target.url}?via=hop` }).end()
    })
    trackers.push(hop)
    expect((await announce(hop.url, params)).interval).toBe(77)
    expect(target.requests[0]).toContain('via=hop')

    const loop = await httpTracker((req, res) => {
      res.writeHead(307, { location: req.url ?? '/' }).end()
    })
    trackers.push(loop)
    const tooMany = await rejection(announce(loop.url, params, { maxRedirects: 2 }))
    expect(tooMany.code).toBe('TRACKER_REDIRECT')
    expect(loop.requests).toHaveLength(3)

    const toUdp = await httpTracker((_req, res) => {
      res.writeHead(301, { location: 'udp://127.0.0.1:1/announce' }).end()
    })
    trackers.push(toUdp)
    expect((await rejection(announce(toUdp.url, params))).code).toBe('TRACKER_REDIRECT')
  })

  it('works over IPv6 loopback', async () => {
    const t = await httpTracker((_req, res) => res.end(encode({ interval: 60, peers: '' })), '::1')
    trackers.push(t)
    expect((await announce(t.url, params)).interval).toBe(60)
  })
})

describe('HTTP scrape (BEP 48)', () => {
  const other = Uint8Array.from({ length: 20 }, (_, i) => 0xff - i)
  const unknown = new Uint8Array(20).fill(0x41)

  it('scrapes on the derived URL with repeated info_hash and reads binary keys', async () => {
    const t = await serve(() => {
      const files = new Map<Uint8Array, { complete: number; incomplete: number; downloaded: number }>([
        [infoHash, { complete: 11, incomplete: 19, downloaded: 13772 }],
        [other, { complete: 21, incomplete: 20, downloaded: 206 }],
        [new Uint8Array(20).fill(0x42), { complete: 1, incomplete: 1, downloaded: 1 }], // not asked for
      ])
      return encode({ files })
    })
    const res = await scrape(`${t.url}?k=1`, [infoHash, other, unknown])
    expect(t.requests[0]!.startsWith('/scrape?k=1&')).toBe(true)
    expect(queryBytes(t.requests[0]!, 'info_hash')).toEqual(
      [infoHash, other, unknown].map((h) => Buffer.from(h)),
    )
    expect(res.files).toEqual(
      new Map([
        [Buffer.from(infoHash).toString('hex'), { complete: 11, incomplete: 19, downloaded: 13772 }],
        [Buffer.from(other).toString('hex'), { complete: 21, incomplete: 20, downloaded: 206 }],
      ]),
    )
  })

  it('refuses announce URLs without a scrape counterpart and bad scrape bodies', async () => {
    const err = await rejection(scrape('http://127.0.0.1:1/tracker', [infoHash]))
    expect(err.code).toBe('TRACKER_SCRAPE_UNSUPPORTED')
    expect((await rejection(scrape('http://127.0.0.1:1/announce', []))).code).toBe('TRACKER_INVALID_PARAMS')
    const t = await serve(encode({ nofiles: 1 }))
    expect((await rejection(scrape(t.url, [infoHash]))).code).toBe('TRACKER_BAD_RESPONSE')
  })
})

describe('HTTPS', () => {
  const fixtures = new URL('./fixtures/', import.meta.url)
  const cert = readFileSync(new URL('localhost-cert.pem', fixtures))
  const key = readFileSync(new URL('localhost-key.pem', fixtures))

  it('announces over TLS with a trusted CA and refuses an untrusted certificate with TRACKER_TLS', async () => {
    const server = createHttpsServer({ cert, key }, (_req, res) =>
      res.end(encode({ interval: 61, peers: '' })),
    )
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/announce`
    try {
      expect((await announce(url, params, { tls: { ca: cert } })).interval).toBe(61)
      expect((await rejection(announce(url, params))).code).toBe('TRACKER_TLS')
      expect((await announce(url, params, { tls: { rejectUnauthorized: false } })).interval).toBe(61)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})
