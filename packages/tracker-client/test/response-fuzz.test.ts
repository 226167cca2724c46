// Hostile-input properties of the response parsers: whatever a tracker sends, the result is either a
// well-formed answer or a TrackerClientError, never another exception, and peers stay bounded.
import { encode } from '@p2p/bencode'
import { encodeCompactPeers } from '@p2p/peer-address'
import { TrackerClientError } from '@p2p/tracker-client'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseAnnounceBody, parseScrapeBody } from '../src/http-response.js'
import { decodeAnnounce, decodeConnect, decodeScrape } from '../src/udp-protocol.js'

const hash = new Uint8Array(20).fill(3)
const hex = Buffer.from(hash).toString('hex')

const validAnnounce = encode({
  complete: 2,
  incomplete: 1,
  interval: 1800,
  'min interval': 60,
  peers: encodeCompactPeers(
    [
      { host: '10.0.0.1', port: 1 },
      { host: '10.0.0.2', port: 2 },
    ],
    4,
  ),
  peers6: encodeCompactPeers([{ host: '::1', port: 3 }], 6),
  'tracker id': 'x',
})
const validScrape = encode({ files: new Map([[hash, { complete: 1, downloaded: 2, incomplete: 3 }]]) })

function settles(fn: () => unknown): unknown {
  try {
    return fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TrackerClientError)
    return undefined
  }
}

describe('HTTP response parsers', () => {
  it('handle the valid answers', () => {
    expect(parseAnnounceBody(validAnnounce, 'u', 100).peers).toHaveLength(3)
    expect(parseScrapeBody(validScrape, 'u', new Set([hex])).files.get(hex)).toEqual({
      complete: 1,
      downloaded: 2,
      incomplete: 3,
    })
  })

  it('reject every truncation of a valid answer with a coded error', () => {
    for (let cut = 0; cut < validAnnounce.length; cut++) {
      expect(() => parseAnnounceBody(validAnnounce.subarray(0, cut), 'u', 100)).toThrow(TrackerClientError)
    }
    for (let cut = 0; cut < validScrape.length; cut++) {
      expect(() => parseScrapeBody(validScrape.subarray(0, cut), 'u', new Set([hex]))).toThrow(
        TrackerClientError,
      )
    }
  })

  it('never throw anything but TrackerClientError on mutated or random bodies', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(validAnnounce, validScrape),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
      )
      .map(([base, flips]) => {
        const b = Uint8Array.from(base)
        for (const [at, v] of flips) b[at % b.length] = v
        return b
      })
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 200 })), (body) => {
        const res = settles(() => parseAnnounceBody(body, 'u', 5)) as { peers: unknown[] } | undefined
        if (res) expect(res.peers.length).toBeLessThanOrEqual(5)
        settles(() => parseScrapeBody(body, 'u', new Set([hex])))
      }),
      { numRuns: 2000 },
    )
  })
})

describe('UDP response decoders', () => {
  it('never throw anything but TrackerClientError on random datagrams', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ maxLength: 300 }), (action, tail) => {
        const msg = Buffer.concat([Buffer.from([0, 0, 0, action]), Buffer.from(tail)])
        settles(() => decodeConnect(msg, 'u'))
        const res = settles(() => decodeAnnounce(msg, 4, 'u', 7)) as { peers: unknown[] } | undefined
        if (res) expect(res.peers.length).toBeLessThanOrEqual(7)
        settles(() => decodeAnnounce(msg, 6, 'u', 7))
        settles(() => decodeScrape(msg, [hash, hash], 'u'))
      }),
      { numRuns: 2000 },
    )
  })
})
