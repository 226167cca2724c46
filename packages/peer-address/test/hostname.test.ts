import { parsePeer } from '@p2p/peer-address'
import { describe, expect, it } from 'vitest'

const invalid = expect.objectContaining({ code: 'PEER_ADDRESS_INVALID_FORMAT' })

describe('parsePeer only takes host names a resolver should see', () => {
  it('refuses a dotted quad out of range instead of resolving it as a name', () => {
    expect(() => parsePeer('999.999.999.999:80')).toThrow(invalid)
    expect(() => parsePeer('1.2.3:80')).toThrow(invalid)
  })
  it('caps names at 253 characters and labels at 63', () => {
    expect(() => parsePeer(`${'a'.repeat(100_000)}:80`)).toThrow(invalid)
    expect(() => parsePeer(`${'a'.repeat(64)}.com:80`)).toThrow(invalid)
    expect(() => parsePeer(`${Array(64).fill('abc').join('.')}:80`)).toThrow(invalid) // 255 characters
    expect(() => parsePeer('a..b:80')).toThrow(invalid)
    expect(parsePeer(`${'a'.repeat(63)}.example:80`).host).toBe(`${'a'.repeat(63)}.example`)
    expect(parsePeer(`${Array(63).fill('abc').join('.')}:80`).port).toBe(80) // 251 characters
    expect(parsePeer('localhost:6881')).toEqual({ host: 'localhost', port: 6881 })
    expect(parsePeer('127.0.0.1:6881')).toEqual({ host: '127.0.0.1', port: 6881 })
  })
})
