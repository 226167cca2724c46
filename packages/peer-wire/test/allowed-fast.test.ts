import { allowedFastSet } from '@p2p/peer-wire'
import { describe, expect, it } from 'vitest'

const infoHash = new Uint8Array(20).fill(0xaa)

describe('allowedFastSet (BEP 6)', () => {
  it('matches the 7-piece example of the spec', () => {
    expect(allowedFastSet('80.4.4.200', infoHash, 1313, 7)).toEqual([1059, 431, 808, 1217, 287, 376, 1188])
  })

  it('matches the 9-piece example of the spec', () => {
    expect(allowedFastSet('80.4.4.200', infoHash, 1313, 9)).toEqual([
      1059, 431, 808, 1217, 287, 376, 1188, 353, 508,
    ])
  })

  it('uses only the /24 of the address', () => {
    expect(allowedFastSet('80.4.4.1', infoHash, 1313, 9)).toEqual(
      allowedFastSet('80.4.4.200', infoHash, 1313, 9),
    )
    expect(allowedFastSet('::ffff:80.4.4.200', infoHash, 1313, 9)).toEqual(
      allowedFastSet('80.4.4.200', infoHash, 1313, 9),
    )
  })

  it('k larger than the piece count gives every piece once', () => {
    expect(allowedFastSet('10.0.0.1', infoHash, 3, 10).sort()).toEqual([0, 1, 2])
  })

  it('checks its arguments', () => {
    expect(() => allowedFastSet('10.0.0.1', new Uint8Array(19), 3, 1)).toThrow(RangeError)
    expect(() => allowedFastSet('10.0.0.1', infoHash, 0, 1)).toThrow(RangeError)
  })
})
