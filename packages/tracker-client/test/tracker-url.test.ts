import { parseTrackerUrl, percentEncodeBytes, scrapeUrl, TrackerClientError } from '@p2p/tracker-client'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

describe('scrapeUrl (BEP 48 rules)', () => {
  it.each([
    ['http://example.com/announce', 'http://example.com/scrape'],
    ['http://example.com/x/announce', 'http://example.com/x/scrape'],
    ['http://example.com/announce.php', 'http://example.com/scrape.php'],
    ['http://example.com/a/announce?x2%0644', 'http://example.com/a/scrape?x2%0644'],
    ['https://example.com:8443/announce?passkey=1', 'https://example.com:8443/scrape?passkey=1'],
    ['http://example.com/announce/announce', 'http://example.com/announce/scrape'],
    // BEP 48 looks at the path only, so a slash in the query does not matter.
    ['http://example.com/announce?x=2/4', 'http://example.com/scrape?x=2/4'],
    ['udp://example.com:6969/announce', 'udp://example.com:6969/announce'],
  ])('%s -> %s', (announce, scrape) => {
    expect(scrapeUrl(announce)).toBe(scrape)
  })

  it.each([
    'http://example.com/a',
    'http://example.com/x%064announce',
    'http://example.com/announce/',
    'http://example.com/',
    'http://example.com/ann',
  ])('has no scrape URL for %s', (announce) => {
    expect(() => scrapeUrl(announce)).toThrow(expect.objectContaining({ code: 'TRACKER_SCRAPE_UNSUPPORTED' }))
  })
})

describe('percentEncodeBytes', () => {
  it('keeps unreserved characters and escapes every other byte', () => {
    expect(percentEncodeBytes(new TextEncoder().encode('aZ09-._~ /&=%'))).toBe('aZ09-._~%20%2F%26%3D%25')
    expect(percentEncodeBytes(Uint8Array.of(0x00, 0x12, 0xff))).toBe('%00%12%FF')
  })

  it('round-trips any bytes through the standard decoder of latin1 escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const encoded = percentEncodeBytes(bytes)
        expect(encoded).toMatch(/^[A-Za-z0-9\-._~%]*$/)
        const decoded = Buffer.from(unescape(encoded), 'latin1')
        expect(decoded).toEqual(Buffer.from(bytes))
      }),
    )
  })
})

describe('parseTrackerUrl', () => {
  it('accepts http, https and udp with a port, dropping the fragment', () => {
    expect(parseTrackerUrl('udp://t.example:80/x?y#z').url.href).toBe('udp://t.example:80/x?y')
    expect(parseTrackerUrl('https://t.example/announce').protocol).toBe('https')
  })

  it.each(['', 'foo', 'magnet:?xt=1', 'udp://t.example/announce', 'ws://t.example'])('rejects %j', (url) => {
    expect(() => parseTrackerUrl(url)).toThrow(TrackerClientError)
  })
})
