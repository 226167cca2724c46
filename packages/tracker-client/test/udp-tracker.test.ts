import { encodeCompactPeers } from '@p2p/peer-address'
import { announce, scrape, UDP_PROTOCOL_ID, UdpTransport } from '@p2p/tracker-client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { rejection, UdpTracker } from './servers.js'

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1)
const peerId = new TextEncoder().encode('-P20010-123456789012')
const params = { infoHash, peerId, port: 51413, left: 12345n, uploaded: 3, downloaded: 4 }
/** Retransmission fast enough for tests: 40, 80, 160 ms... */
const fast = { udpRetransmit: { baseMs: 40, maxExponent: 3 } }

let trackers: UdpTracker[] = []
let transport = new UdpTransport()
afterEach(async () => {
  transport.close()
  transport = new UdpTransport()
  await Promise.all(trackers.map((t) => t.close()))
  trackers = []
  vi.useRealTimers()
})
async function start(family: 4 | 6 = 4): Promise<UdpTracker> {
  const t = await UdpTracker.start(family)
  trackers.push(t)
  return t
}

describe('UDP announce (BEP 15)', () => {
  it('connects, then announces with every field in place, and reads IPv4 peers', async () => {
    const t = await start()
    t.announcePeers = Buffer.from(
      encodeCompactPeers(
        [
          { host: '10.0.0.1', port: 6881 },
          { host: '10.0.0.2', port: 6882 },
        ],
        4,
      ),
    )
    const res = await announce(
      `${t.url}/announce`,
      { ...params, event: 'started', key: 0xcafef00d, numwant: 33 },
      { udpTransport: transport, udpUrlData: false },
    )
    expect(res).toEqual({
      interval: 1800,
      minInterval: undefined,
      complete: 7,
      incomplete: 3,
      trackerId: undefined,
      warning: undefined,
      peers: [
        { host: '10.0.0.1', port: 6881 },
        { host: '10.0.0.2', port: 6882 },
      ],
    })
    const [connect, ann] = t.requests
    expect(connect!.msg.readBigUInt64BE(0)).toBe(UDP_PROTOCOL_ID)
    expect(connect!.action).toBe(0)
    expect(connect!.msg).toHaveLength(16)
    const m = ann!.msg
    expect(m).toHaveLength(98)
    expect(ann!.connectionId).toBe(t.connectionId)
    expect(ann!.action).toBe(1)
    expect(m.subarray(16, 36)).toEqual(Buffer.from(infoHash))
    expect(m.subarray(36, 56)).toEqual(Buffer.from(peerId))
    expect(m.readBigUInt64BE(56)).toBe(4n) // downloaded
    expect(m.readBigUInt64BE(64)).toBe(12345n) // left
    expect(m.readBigUInt64BE(72)).toBe(3n) // uploaded
    expect(m.readUInt32BE(80)).toBe(2) // started
    expect(m.readUInt32BE(84)).toBe(0) // ip
    expect(m.readUInt32BE(88)).toBe(0xcafef00d)
    expect(m.readInt32BE(92)).toBe(33)
    expect(m.readUInt16BE(96)).toBe(51413)
  })

  it('sends numwant -1 by default and the BEP 41 URLData option for the path and query', async () => {
    const t = await start()
    const path = `/announce/${'p'.repeat(300)}?auth=0x00`
    await announce(`${t.url}${path}`, { ...params, event: 'completed' }, { udpTransport: transport })
    const m = t.requests[1]!.msg
    expect(m.readInt32BE(92)).toBe(-1)
    expect(m.readUInt32BE(80)).toBe(1)
    // Two URLData options: 255 bytes then the rest, concatenated by the tracker.
    expect(m[98]).toBe(0x2)
    expect(m[99]).toBe(255)
    expect(m[98 + 2 + 255]).toBe(0x2)
    const second = m[98 + 2 + 255 + 1]!
    expect(Buffer.concat([m.subarray(100, 355), m.subarray(357, 357 + second)]).toString()).toBe(path)
    expect(m).toHaveLength(98 + 2 + 255 + 2 + second)
  })

  it('sends no URLData for a bare URL', async () => {
    const t = await start()
    await announce(t.url, params, { udpTransport: transport })
    expect(t.requests[1]!.msg).toHaveLength(98)
  })

  it('reads 18-byte peers over IPv6', async () => {
    const t = await start(6)
    t.announcePeers = Buffer.from(encodeCompactPeers([{ host: '2001:db8::7', port: 6000 }], 6))
    const res = await announce(t.url, params, { udpTransport: transport })
    expect(res.peers).toEqual([{ host: '2001:db8::7', port: 6000 }])
  })

  it('reuses the connection id for a minute, then connects again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = await start()
    await announce(t.url, params, { udpTransport: transport })
    await scrape(t.url, [infoHash], { udpTransport: transport })
    await announce(t.url, params, { udpTransport: transport })
    expect(t.count(0)).toBe(1)
    vi.setSystemTime(Date.now() + 61_000)
    await announce(t.url, params, { udpTransport: transport })
    expect(t.count(0)).toBe(2)
    expect(t.count(1)).toBe(3)
  })

  it('connects again when the connection id expires while an announce is being retransmitted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const t = await start()
    let lost = false
    t.hook = (req) => {
      if (req.action !== 1 || lost) return undefined
      lost = true
      vi.setSystemTime(Date.now() + 61_000) // a minute passes before the retransmission
      return null
    }
    await announce(t.url, params, { ...fast, udpTransport: transport })
    expect(t.requests.map((r) => r.action)).toEqual([0, 1, 0, 1])
  })

  it('follows the BEP 15 retransmission schedule, re-connecting once the connection id expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const t = await start()
    const t0 = Date.now()
    const seen: [number, number][] = []
    t.hook = (req) => {
      seen.push([req.action, (Date.now() - t0) / 1000])
      return req.action === 0 && t.count(0) === 1 ? undefined : null // one connect answered, then silence
    }
    const ac = new AbortController()
    const pending = announce(t.url, params, { udpTransport: transport, timeout: Infinity, signal: ac.signal })
    const until = async (n: number) => {
      const deadline = performance.now() + 5000 // real time: performance is not faked
      while (seen.length < n) {
        if (performance.now() > deadline)
          throw new Error(`expected ${n} requests, saw ${JSON.stringify(seen)}`)
        await new Promise((r) => setImmediate(r))
      }
    }
    await until(2)
    for (const [step, n] of [
      [15_000, 3],
      [30_000, 4],
      [60_000, 5],
      [120_000, 6],
    ] as const) {
      await vi.advanceTimersByTimeAsync(step)
      await until(n)
    }
    ac.abort()
    expect((await rejection(pending)).code).toBe('TRACKER_ABORTED')
    // As the spec's "announce times out" example: 2, 17, 47, connect at 107 (id expired), 227.
    expect(seen).toEqual([
      [0, 0],
      [1, 0],
      [1, 15],
      [1, 45],
      [0, 105],
      [0, 225],
    ])
  })

  it('connects again once when the tracker rejects a cached connection id', async () => {
    const t = await start()
    await announce(t.url, params, { udpTransport: transport })
    t.connectionId = 0x99n // tracker restarted: the old id is refused
    await announce(t.url, params, { udpTransport: transport })
    expect(t.count(0)).toBe(2)
    expect(t.requests.at(-1)!.connectionId).toBe(0x99n)
  })

  it('retransmits lost packets with the same transaction id', async () => {
    const t = await start()
    t.drop = 1 // the first connect is lost
    let lostAnnounce = false
    t.hook = (req) => {
      if (req.action !== 1 || lostAnnounce) return undefined
      lostAnnounce = true // and so is the first announce
      return null
    }
    const res = await announce(t.url, params, { ...fast, udpTransport: transport })
    expect(res.interval).toBe(1800)
    const connects = t.requests.filter((r) => r.action === 0)
    const announces = t.requests.filter((r) => r.action === 1)
    expect(connects).toHaveLength(2)
    expect(announces).toHaveLength(2)
    expect(connects[0]!.transactionId).toBe(connects[1]!.transactionId)
    expect(announces[0]!.msg).toEqual(announces[1]!.msg)
  })

  it('times out with TRACKER_TIMEOUT when nothing answers', async () => {
    const t = await start()
    t.hook = () => null
    const err = await rejection(announce(t.url, params, { ...fast, timeout: 400, udpTransport: transport }))
    expect(err.code).toBe('TRACKER_TIMEOUT')
    // 40 + 80 + 160 ms then 320: four sends fit before the 400 ms deadline.
    expect(t.count(0)).toBeGreaterThanOrEqual(3)
    expect(t.count(1)).toBe(0)
  })

  it('ignores answers with a wrong transaction id or from another port', async () => {
    const t = await start()
    let spoofed = 0
    t.hook = (req) => {
      if (req.action !== 1 || spoofed > 0) return undefined
      spoofed++
      const wrong = Buffer.alloc(20)
      wrong.writeUInt32BE(1, 0)
      wrong.writeUInt32BE((req.transactionId + 1) >>> 0, 4)
      wrong.writeUInt32BE(5, 8)
      return wrong
    }
    const res = await announce(t.url, params, { ...fast, udpTransport: transport })
    expect(spoofed).toBe(1)
    expect(res.interval).toBe(1800) // the retransmitted announce got the real answer
  })

  it('turns an error packet into TRACKER_FAILURE_REASON', async () => {
    const t = await start()
    t.hook = (req) => {
      if (req.action !== 1) return undefined
      const b = Buffer.alloc(8)
      b.writeUInt32BE(3, 0)
      b.writeUInt32BE(req.transactionId, 4)
      return Buffer.concat([b, Buffer.from('torrent not whitelisted\0')])
    }
    const err = await rejection(announce(t.url, params, { udpTransport: transport }))
    expect(err.code).toBe('TRACKER_FAILURE_REASON')
    expect(err.message).toContain('torrent not whitelisted')
  })

  it.each([
    ['a truncated connect answer', 0, 12],
    ['a truncated announce answer', 1, 16],
  ])('rejects %s as TRACKER_BAD_RESPONSE', async (_what, action, size) => {
    const t = await start()
    t.hook = (req) => {
      if (req.action !== action) return undefined
      const b = Buffer.alloc(size)
      b.writeUInt32BE(action, 0)
      b.writeUInt32BE(req.transactionId, 4)
      return b
    }
    expect((await rejection(announce(t.url, params, { udpTransport: transport }))).code).toBe(
      'TRACKER_BAD_RESPONSE',
    )
  })

  it('rejects a wrong action and an oversized datagram', async () => {
    const t = await start()
    t.hook = (req) => {
      if (req.action !== 1) return undefined
      const b = Buffer.alloc(2000)
      b.writeUInt32BE(2, 0) // scrape answer to an announce
      b.writeUInt32BE(req.transactionId, 4)
      return b
    }
    expect((await rejection(announce(t.url, params, { udpTransport: transport }))).code).toBe(
      'TRACKER_BAD_RESPONSE',
    )
    const err = await rejection(announce(t.url, params, { udpTransport: transport, maxResponseBytes: 1000 }))
    expect(err.code).toBe('TRACKER_RESPONSE_TOO_LARGE')
  })

  it('bounds peers and drops a partial trailing entry', async () => {
    const t = await start()
    const many = Array.from({ length: 200 }, (_, i) => ({ host: `10.2.0.${i}`, port: 2000 + i }))
    t.announcePeers = Buffer.concat([Buffer.from(encodeCompactPeers(many, 4)), Buffer.from([9, 9, 9])])
    expect((await announce(t.url, params, { udpTransport: transport, maxPeers: 5 })).peers).toEqual(
      many.slice(0, 5),
    )
    expect((await announce(t.url, params, { udpTransport: transport })).peers).toHaveLength(200)
  })

  it('aborts with TRACKER_ABORTED', async () => {
    const t = await start()
    t.hook = () => null
    const ac = new AbortController()
    const p = announce(t.url, params, { ...fast, signal: ac.signal, udpTransport: transport })
    setTimeout(() => ac.abort(), 60)
    expect((await rejection(p)).code).toBe('TRACKER_ABORTED')
  })
})

describe('UdpTransport', () => {
  it('fails requests still waiting when it is closed, and opens a new socket afterwards', async () => {
    const t = await start()
    t.hook = () => null
    const p = announce(t.url, params, { ...fast, udpTransport: transport })
    setTimeout(() => transport.close(), 60)
    expect((await rejection(p)).code).toBe('TRACKER_ABORTED')
    t.hook = undefined
    expect((await announce(t.url, params, { udpTransport: transport })).interval).toBe(1800)
  })
})

describe('UDP scrape (BEP 15)', () => {
  it('scrapes many info hashes in batches of 74 and maps answers in order', async () => {
    const t = await start()
    const hashes = Array.from({ length: 100 }, (_, i) => new Uint8Array(20).fill(i))
    const res = await scrape(t.url, hashes, { udpTransport: transport })
    const scrapes = t.requests.filter((r) => r.action === 2)
    expect(scrapes.map((r) => (r.msg.length - 16) / 20)).toEqual([74, 26])
    expect(res.files.size).toBe(100)
    expect(res.files.get(Buffer.from(hashes[0]!).toString('hex'))).toEqual({
      complete: 10,
      downloaded: 20,
      incomplete: 30,
    })
    expect(res.files.get(Buffer.from(hashes[75]!).toString('hex'))).toEqual({
      complete: 11,
      downloaded: 21,
      incomplete: 31,
    })
  })

  it('leaves out torrents a short answer does not cover', async () => {
    const t = await start()
    t.hook = (req) => {
      if (req.action !== 2) return undefined
      const b = Buffer.alloc(8 + 12 + 5) // one entry and a partial one
      b.writeUInt32BE(2, 0)
      b.writeUInt32BE(req.transactionId, 4)
      b.writeUInt32BE(4, 8)
      return b
    }
    const res = await scrape(t.url, [infoHash, new Uint8Array(20)], { udpTransport: transport })
    expect([...res.files.keys()]).toEqual([Buffer.from(infoHash).toString('hex')])
  })
})
