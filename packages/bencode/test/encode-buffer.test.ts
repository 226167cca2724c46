import { decode, encode } from '@p2p/bencode'
import { describe, expect, it } from 'vitest'

/** The encoder's initial reusable buffer: this file runs in a fresh module, so the first call starts there. */
const INITIAL_BUFFER = 64 * 1024

describe('encode: the reusable buffer grows without losing a byte', () => {
  it('writes a longest integer (19 bytes) that ends exactly one byte past the buffer', () => {
    const longest = -Number.MAX_SAFE_INTEGER // i-9007199254740991e
    // Pick a byte-string pad so that an integer starts 18 bytes before the end of the buffer.
    const prefixLength = (pad: number) => 1 + `${pad}:`.length + pad // 'l' + the pad's encoding
    let pad = 0
    while ((INITIAL_BUFFER - 18 - prefixLength(pad)) % 19 !== 0) pad++
    const value = [new Uint8Array(pad), ...new Array<number>(4000).fill(longest)]
    const back = decode(encode(value)) as unknown[]
    expect(back.length).toBe(4001)
    expect(back.every((x, i) => i === 0 || x === longest)).toBe(true)
  })

  it('writes long strings and byte strings intact across later growth', () => {
    for (let pad = 0; pad < 40; pad++) {
      const value = [
        new Uint8Array(pad),
        ...new Array<string>(2000).fill('x'.repeat(64)),
        new Uint8Array(70_000),
      ]
      const back = decode(encode(value)) as Uint8Array[]
      expect(back.length).toBe(2002)
      expect(back.every((x, i) => i === 0 || i === 2001 || x.length === 64)).toBe(true)
    }
  })
})
