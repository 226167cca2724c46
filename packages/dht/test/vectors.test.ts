import { encode } from '@p2p/bencode'
import { describe, expect, it } from 'vitest'
import {
  DhtError,
  decodeCompactNodes,
  encodeCompactNodes,
  immutableTarget,
  isSecureNodeId,
  itemKeyPair,
  mutableTarget,
  nodeIdAcceptable,
  secureNodeId,
  signedBuffer,
  signItem,
  verifyItem,
} from '../src/index.js'
import { hex } from './helpers.js'

describe('BEP 42 secure node ids', () => {
  // The spec's test vectors: IP, rand (last byte), the bold 21-bit prefix of the id.
  const vectors: [string, number, string][] = [
    ['124.31.75.21', 1, '5fbfbf'],
    ['21.75.31.124', 86, '5a3ce9'],
    ['65.23.51.170', 22, 'a5d432'],
    ['84.124.73.14', 65, '1b0321'],
    ['43.213.53.83', 90, 'e56f6c'],
  ]
  it.each(vectors)('%s with r=%i starts with %s', (ip, rand, prefix) => {
    const random = new Uint8Array(20).fill(0xff)
    random[19] = rand
    const id = secureNodeId(ip, random)
    expect(Buffer.from(id.subarray(0, 2)).toString('hex')).toBe(prefix.slice(0, 4))
    expect(id[2]! & 0xf8).toBe(Number.parseInt(prefix.slice(4), 16) & 0xf8)
    expect(id[19]).toBe(rand)
    expect(isSecureNodeId(id, ip)).toBe(true)
    expect(isSecureNodeId(id, '1.2.3.4')).toBe(false)
  })
  it('exempts local and private addresses, checks IPv6 too', () => {
    const id = new Uint8Array(20)
    expect(nodeIdAcceptable(id, '127.0.0.5')).toBe(true)
    expect(nodeIdAcceptable(id, '10.1.2.3')).toBe(true)
    expect(nodeIdAcceptable(id, '192.168.1.1')).toBe(true)
    expect(nodeIdAcceptable(id, '::1')).toBe(true)
    expect(nodeIdAcceptable(id, '8.8.8.8')).toBe(false)
    const v6 = secureNodeId('2001:db8::1', new Uint8Array(20).fill(3))
    expect(isSecureNodeId(v6, '2001:db8::1')).toBe(true)
    expect(nodeIdAcceptable(v6, '2001:db9::1')).toBe(false)
  })
})

describe('BEP 44 vectors', () => {
  const pub = hex('77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548')
  const v = encode('Hello World!')
  it('test 1 (mutable): buffer, target and signature', () => {
    expect(Buffer.from(signedBuffer(v, 1)).toString()).toBe('3:seqi1e1:v12:Hello World!')
    expect(Buffer.from(mutableTarget(pub)).toString('hex')).toBe('4a533d47ec9c7d95b1ad75f576cffc641853b750')
    const sig = hex(
      '305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01',
    )
    expect(verifyItem(pub, sig, v, 1)).toBe(true)
    expect(verifyItem(pub, sig, v, 2)).toBe(false)
  })
  it('test 2 (mutable with salt)', () => {
    const salt = new TextEncoder().encode('foobar')
    expect(Buffer.from(signedBuffer(v, 1, salt)).toString()).toBe('4:salt6:foobar3:seqi1e1:v12:Hello World!')
    expect(Buffer.from(mutableTarget(pub, salt)).toString('hex')).toBe(
      '411eba73b6f087ca51a3795d9c8c938d365e32c1',
    )
    const sig = hex(
      '6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17ddf9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08',
    )
    expect(verifyItem(pub, sig, v, 1, salt)).toBe(true)
  })
  it('test 3 (immutable) and a sign/verify round trip', () => {
    expect(Buffer.from(immutableTarget(v)).toString('hex')).toBe('e5f96f6f38320f0f33959cb4d3d656452117aadb')
    const keys = itemKeyPair()
    const sig = signItem(keys.secretKey, v, 7)
    expect(verifyItem(keys.publicKey, sig, v, 7)).toBe(true)
    expect(verifyItem(keys.publicKey, sig, encode('other'), 7)).toBe(false)
    expect(verifyItem(keys.publicKey.subarray(1), sig, v, 7)).toBe(false)
    expect(itemKeyPair(keys.secretKey).publicKey).toEqual(keys.publicKey)
  })
})

describe('compact node info', () => {
  it('round-trips IPv4 and IPv6 nodes and rejects bad lengths and huge strings', () => {
    const nodes = [
      { id: new Uint8Array(20).fill(1), address: { host: '10.0.0.1', port: 6881 } },
      { id: new Uint8Array(20).fill(2), address: { host: 'fd00::2', port: 6882 } },
    ]
    expect(decodeCompactNodes(encodeCompactNodes(nodes, 4), 4)).toEqual([nodes[0]])
    expect(decodeCompactNodes(encodeCompactNodes(nodes, 6), 6)).toEqual([nodes[1]])
    expect(() => decodeCompactNodes(new Uint8Array(27), 4)).toThrow(DhtError)
    expect(() => decodeCompactNodes(new Uint8Array(26 * 100), 4)).toThrowError(
      expect.objectContaining({ code: 'DHT_INVALID_COMPACT' }),
    )
  })
})
