import { equalBytes, toHex } from '@p2p/bytes'
import { describe, expect, it } from 'vitest'

describe('toHex', () => {
  it('writes lower-case hex of exactly the viewed bytes', () => {
    const backing = Uint8Array.of(0xff, 0x00, 0xab, 0x0f, 0xee)
    expect(toHex(backing)).toBe('ff00ab0fee')
    expect(toHex(backing.subarray(1, 4))).toBe('00ab0f')
    expect(toHex(new Uint8Array(0))).toBe('')
  })
})

describe('equalBytes', () => {
  it('compares lengths and every byte', () => {
    expect(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true)
    expect(equalBytes(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false)
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false)
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true)
    const big = Uint8Array.of(9, 1, 2, 9)
    expect(equalBytes(big.subarray(1, 3), Uint8Array.of(1, 2))).toBe(true)
  })
})
