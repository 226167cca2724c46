import { MetainfoError, parseMagnet, toMagnet } from '@p2p/metainfo'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const V1 = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const V2 = 'caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e'

describe('parseMagnet', () => {
  it('reads hex and base32 btih, btmh, dn, tr, ws, x.pe, so', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${V1.toUpperCase()}&xt=urn:btmh:1220${V2}&dn=Ubuntu+22.04%20iso&tr=udp%3A%2F%2Ft.example%3A6969&tr.1=http://b/announce` +
        '&ws=http%3A%2F%2Fseed%2Ff&x.pe=127.0.0.1:6881&x.pe=[::1]:51413&so=0,2,4-6',
    )
    expect(m).toEqual({
      infoHash: V1,
      infoHashV2: V2,
      name: 'Ubuntu 22.04 iso',
      trackers: ['udp://t.example:6969', 'http://b/announce'],
      urlList: ['http://seed/f'],
      peers: [
        { host: '127.0.0.1', port: 6881 },
        { host: '::1', port: 51413 },
      ],
      selectOnly: [0, 2, 4, 5, 6],
    })
    expect(parseMagnet('magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK').infoHash).toBe(V1)
  })
  it.each([
    'http://example.com',
    'magnet:?dn=only-a-name',
    'magnet:?xt=urn:btih:1234',
    'magnet:?xt=urn:btih:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
    `magnet:?xt=urn:btmh:1120${'00'.repeat(32)}`,
    `magnet:?xt=urn:btih:${V1}&dn=%E0%A4%A`,
    `magnet:?xt=urn:btih:${V1}&so=1-0`,
    `magnet:?xt=urn:btih:${V1}&so=0-999999999`,
    `magnet:?xt=urn:btih:${V1}&${'a'.repeat(70000)}`,
  ])('rejects %s with METAINFO_INVALID_MAGNET', (uri) => {
    expect(() => parseMagnet(uri)).toThrow(expect.objectContaining({ code: 'METAINFO_INVALID_MAGNET' }))
  })
  it('round-trips through toMagnet', () => {
    fc.assert(
      fc.property(
        fc.record({
          infoHash: fc
            .uint8Array({ minLength: 20, maxLength: 20 })
            .map((b) => Buffer.from(b).toString('hex')),
          name: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
          trackers: fc.uniqueArray(fc.webUrl(), { maxLength: 3 }),
          urlList: fc.uniqueArray(fc.webUrl(), { maxLength: 2 }),
          selectOnly: fc.option(fc.uniqueArray(fc.nat(50), { minLength: 1, maxLength: 6 }), {
            nil: undefined,
          }),
        }),
        (link) => {
          const m = { ...link, peers: [] }
          if (m.name === undefined) delete (m as { name?: string }).name
          if (m.selectOnly === undefined) delete (m as { selectOnly?: number[] }).selectOnly
          const back = parseMagnet(toMagnet(m))
          expect(back.infoHash).toBe(m.infoHash)
          expect(back.name).toBe(m.name)
          expect(back.trackers).toEqual(m.trackers)
          expect(back.urlList).toEqual(m.urlList)
          if (m.selectOnly) expect(back.selectOnly).toEqual([...m.selectOnly].sort((a, b) => a - b))
        },
      ),
    )
  })
  it('never throws anything but MetainfoError on junk', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          parseMagnet(`magnet:?${s}`)
        } catch (err) {
          expect(err).toBeInstanceOf(MetainfoError)
        }
      }),
    )
  })
})
