import {
  bytesToIp,
  crc32c,
  decodeCompactPeers,
  encodeCompactPeers,
  formatPeer,
  generatePeerId,
  ipToBytes,
  normalizeIp,
  PeerAddressError,
  parsePeer,
  parsePeerId,
  peerPriority,
} from '@p2p/peer-address'
import { describe, expect, it } from 'vitest'

describe('ip', () => {
  it('parses and formats IPv4 and IPv6', () => {
    expect([...ipToBytes('127.0.0.1')]).toEqual([127, 0, 0, 1])
    expect(bytesToIp(ipToBytes('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1')
    expect(bytesToIp(ipToBytes('::1'))).toBe('::1')
    expect(bytesToIp(ipToBytes('::'))).toBe('::')
    expect(bytesToIp(ipToBytes('[fe80::1%eth0]'))).toBe('fe80::1')
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1')
  })
  it.each(['1.2.3', '256.1.1.1', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '::1::', 'g::1', '', 'localhost'])(
    'rejects %j with a coded error',
    (bad) => {
      expect(() => ipToBytes(bad)).toThrow(PeerAddressError)
      try {
        ipToBytes(bad)
      } catch (err) {
        expect((err as PeerAddressError).code).toBe('PEER_ADDRESS_INVALID_IP')
      }
    },
  )
})

describe('compact peers', () => {
  it('round-trips IPv4 (BEP 23) and IPv6 (BEP 7)', () => {
    const v4 = [
      { host: '127.0.0.1', port: 6881 },
      { host: '10.1.2.3', port: 65535 },
    ]
    const bytes = encodeCompactPeers(v4, 4)
    expect([...bytes.subarray(0, 6)]).toEqual([127, 0, 0, 1, 0x1a, 0xe1])
    expect(decodeCompactPeers(bytes, 4)).toEqual(v4)
    const v6 = [{ host: '2001:db8::5', port: 51413 }]
    expect(decodeCompactPeers(encodeCompactPeers([...v6, ...v4], 6), 6)).toEqual(v6)
  })
  it('rejects a truncated list and drops port 0', () => {
    expect(() => decodeCompactPeers(new Uint8Array(7), 4)).toThrow(/multiple of 6/)
    expect(decodeCompactPeers(new Uint8Array(6), 4)).toEqual([])
  })
  it('parses and formats host:port', () => {
    expect(parsePeer('[::1]:80')).toEqual({ host: '::1', port: 80 })
    expect(parsePeer('localhost:6881')).toEqual({ host: 'localhost', port: 6881 })
    expect(formatPeer({ host: '::1', port: 80 })).toBe('[::1]:80')
    for (const bad of ['1.2.3.4', '1.2.3.4:0', '1.2.3.4:70000', '[::1:80', 'a b:1', '[zz]:1']) {
      expect(() => parsePeer(bad), bad).toThrow(PeerAddressError)
    }
  })
})

describe('peer id', () => {
  it('generates 20-byte Azureus-style ids and reads client codes', () => {
    const id = generatePeerId()
    expect(id.length).toBe(20)
    expect(parsePeerId(id)).toEqual({ client: 'P2', version: '0010' })
    expect(parsePeerId(new TextEncoder().encode('-lt20C0-abcdefghijkl'))).toEqual({
      client: 'lt',
      version: '20C0',
    })
    expect(parsePeerId(new TextEncoder().encode('A2-1-36-0-abcdefghij'))).toEqual({
      client: 'A2',
      version: '1.36.0',
    })
    expect(() => generatePeerId('x'.repeat(21))).toThrow(PeerAddressError)
  })
})

describe('BEP 40 canonical peer priority', () => {
  it('matches the CRC32-C check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
  })
  it('matches the spec examples, symmetric in its arguments', () => {
    const a = { host: '123.213.32.10', port: 1 }
    const b = { host: '98.76.54.32', port: 2 }
    const c = { host: '123.213.32.234', port: 3 }
    expect(peerPriority(a, b)).toBe(0xec2d7224)
    expect(peerPriority(b, a)).toBe(0xec2d7224)
    expect(peerPriority(a, c)).toBe(0x99568189)
    expect(peerPriority(c, a)).toBe(0x99568189)
  })
  it('uses ports for the same address', () => {
    expect(peerPriority({ host: '127.0.0.1', port: 10 }, { host: '127.0.0.1', port: 20 })).toBe(
      peerPriority({ host: '127.0.0.1', port: 20 }, { host: '127.0.0.1', port: 10 }),
    )
  })
})
