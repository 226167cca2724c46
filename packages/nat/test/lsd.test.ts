import { encodeLsdAnnounces, LSD_MAX_DATAGRAM, LsdCore, lsdInterfaceFor, parseLsdAnnounce } from '@p2p/nat'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { errorCode } from './codes.js'

const V1 = 'aa'.repeat(20)
const V2 = 'bb'.repeat(20)
const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

describe('LSD messages (BEP 14)', () => {
  it('encodes the announce format of BEP 14, for both groups', () => {
    const [v4] = encodeLsdAnnounces({ family: 4, port: 6881, infoHashes: [V1.toUpperCase()], cookie: 'c1' })
    expect(dec(v4!)).toBe(
      `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${V1}\r\ncookie: c1\r\n\r\n\r\n`,
    )
    const [v6] = encodeLsdAnnounces({ family: 6, port: 6881, infoHashes: [V1, V2], cookie: 'c1' })
    expect(dec(v6!)).toContain('Host: [ff15::efc0:988f]:6771\r\n')
    expect(parseLsdAnnounce(v6!)).toEqual({
      host: '[ff15::efc0:988f]:6771',
      port: 6881,
      infoHashes: [V1, V2],
      cookie: 'c1',
    })
  })

  it('splits many info hashes into datagrams of at most 1400 bytes', () => {
    const hashes = Array.from({ length: 60 }, (_, i) => i.toString(16).padStart(40, '0'))
    const out = encodeLsdAnnounces({ family: 4, port: 1, infoHashes: hashes, cookie: 'x' })
    expect(out.length).toBeGreaterThan(2)
    for (const d of out) expect(d.length).toBeLessThanOrEqual(LSD_MAX_DATAGRAM)
    expect(out.flatMap((d) => parseLsdAnnounce(d).infoHashes)).toEqual(hashes)
  })

  it('parses what libtorrent sends (no cookie, LF only is tolerated) and ignores unknown headers', () => {
    const lt = `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${V1.toUpperCase()}\r\nX-New: 1\r\n\r\n\r\n`
    expect(parseLsdAnnounce(enc(lt))).toEqual({
      host: '239.192.152.143:6771',
      port: 6881,
      infoHashes: [V1],
      cookie: undefined,
    })
    expect(parseLsdAnnounce(enc(lt.replaceAll('\r\n', '\n'))).port).toBe(6881)
  })

  it.each([
    ['another method', `M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${V1}\r\n\r\n`],
    ['no port', `BT-SEARCH * HTTP/1.1\r\nInfohash: ${V1}\r\n\r\n`],
    ['port 0', `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${V1}\r\n\r\n`],
    ['port 70000', `BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ${V1}\r\n\r\n`],
    ['a signed port', `BT-SEARCH * HTTP/1.1\r\nPort: -1\r\nInfohash: ${V1}\r\n\r\n`],
    ['two ports', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nPort: 2\r\nInfohash: ${V1}\r\n\r\n`],
    ['a short hash', 'BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: abcd\r\n\r\n'],
    ['a non-hex hash', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${'zz'.repeat(20)}\r\n\r\n`],
    ['no hash', 'BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n'],
    ['unterminated headers', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${V1}`],
    [
      'too many hashes',
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n${Array.from({ length: 33 }, (_, i) => `Infohash: ${i.toString(16).padStart(40, '0')}\r\n`).join('')}\r\n`,
    ],
    ['a huge datagram', `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nX: ${'y'.repeat(3000)}\r\n\r\n`],
    [
      'a long cookie',
      `BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${V1}\r\ncookie: ${'c'.repeat(65)}\r\n\r\n`,
    ],
  ])('rejects %s with LSD_BAD_ANNOUNCE', (_what, text) => {
    expect(errorCode(() => parseLsdAnnounce(enc(text)))).toBe('LSD_BAD_ANNOUNCE')
  })

  it('never throws anything but a coded error on random input', () => {
    const prefix = enc('BT-SEARCH * HTTP/1.1\r\n')
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withPrefix) => {
        const data = withPrefix ? new Uint8Array([...prefix, ...bytes]) : bytes
        const c = errorCode(() => parseLsdAnnounce(data))
        expect(c === undefined || c === 'LSD_BAD_ANNOUNCE').toBe(true)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('LsdCore', () => {
  const announce = (hashes: string[], port = 6881, cookie?: string) =>
    encodeLsdAnnounces({ family: 4, port, infoHashes: hashes, cookie: cookie ?? 'other' })[0]!

  it('announces a new torrent at once, a hybrid under both hashes, then each every 5 min, at most once a minute', () => {
    const core = new LsdCore()
    expect(core.nextDue()).toBeUndefined()
    core.addTorrent([V1, V2])
    expect(core.poll(0)).toEqual([V1, V2])
    expect(core.poll(1)).toEqual([])
    const V3 = 'cc'.repeat(20)
    core.addTorrent([V3])
    expect(core.nextDue()).toBe(60_000) // due now, but one round a minute
    expect(core.poll(59_999)).toEqual([])
    expect(core.poll(60_000)).toEqual([V3])
    expect(core.nextDue()).toBe(300_000)
    expect(core.poll(300_000)).toEqual([V1, V2])
    expect(core.poll(360_000)).toEqual([V3])
    core.removeTorrent([V1, V2])
    core.removeTorrent([V3])
    expect(core.nextDue()).toBeUndefined()
  })

  it('puts at most 25 hashes in a round, oldest first', () => {
    const core = new LsdCore()
    const hashes = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(40, '0'))
    for (const h of hashes) core.addTorrent([h])
    expect(core.poll(0)).toEqual(hashes.slice(0, 25))
    expect(core.poll(60_000)).toEqual(hashes.slice(25))
  })

  it('reports peers for our torrents only, from the source address, ignoring our own cookie', () => {
    const core = new LsdCore({ cookie: 'mine' })
    core.addTorrent([V1, V2])
    expect(core.handleDatagram(announce([V2, 'dd'.repeat(20)], 7000), '10.99.0.10', 0)).toEqual([
      { infoHash: V2, host: '10.99.0.10', port: 7000 },
    ])
    expect(core.handleDatagram(announce([V1], 7000, 'mine'), '10.99.0.11', 0)).toEqual([])
    expect(core.handleDatagram(enc('garbage'), '10.99.0.12', 0)).toEqual([])
    expect(core.dropped).toBe(2)
  })

  it('reports the same peer once a minute, and rate-limits each source', () => {
    const core = new LsdCore({ maxPerSourcePerMinute: 3 })
    core.addTorrent([V1])
    expect(core.handleDatagram(announce([V1]), 'a', 0)).toHaveLength(1)
    expect(core.handleDatagram(announce([V1]), 'a', 1000)).toHaveLength(0)
    expect(core.handleDatagram(announce([V1], 7001), 'a', 2000)).toHaveLength(1)
    expect(core.handleDatagram(announce([V1], 7002), 'a', 3000)).toHaveLength(0) // 4th in the minute
    expect(core.handleDatagram(announce([V1], 7002), 'b', 3000)).toHaveLength(1)
    expect(core.handleDatagram(announce([V1], 7002), 'a', 61_000)).toHaveLength(1)
    expect(core.handleDatagram(announce([V1]), 'a', 62_000)).toHaveLength(1)
  })
})

describe('lsdInterfaceFor', () => {
  const interfaces = {
    lo: [
      { address: '127.0.0.1', family: 'IPv4', internal: true },
      { address: '::1', family: 'IPv6', internal: true },
    ],
    eth0: [
      { address: '192.168.1.5', family: 'IPv4', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
    ],
  } as unknown as Parameters<typeof lsdInterfaceFor>[1]

  it('keeps a client bound to one address on that address`s interface and family', () => {
    expect(lsdInterfaceFor('127.0.0.1', interfaces)).toEqual({ interfaceAddress: '127.0.0.1', ipv6: false })
    expect(lsdInterfaceFor('192.168.1.5', interfaces)).toEqual({
      interfaceAddress: '192.168.1.5',
      ipv6: false,
    })
    expect(lsdInterfaceFor('::1', interfaces)).toEqual({ ipv4: false, ipv6Interface: 'lo' })
    expect(lsdInterfaceFor('FE80::1%eth0', interfaces)).toEqual({ ipv4: false, ipv6Interface: 'eth0' })
  })

  it('leaves a wildcard to the system and turns an unknown IPv6 address or a name off', () => {
    expect(lsdInterfaceFor(undefined, interfaces)).toEqual({})
    expect(lsdInterfaceFor('::', interfaces)).toEqual({})
    expect(lsdInterfaceFor('0.0.0.0', interfaces)).toEqual({ ipv6: false })
    expect(lsdInterfaceFor('2001:db8::9', interfaces)).toEqual({ ipv4: false, ipv6: false })
    expect(lsdInterfaceFor('localhost', interfaces)).toEqual({ ipv4: false, ipv6: false })
  })
})
