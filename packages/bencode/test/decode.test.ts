import {
  type BencodeDict,
  type BencodeErrorCode,
  type BencodeList,
  DEFAULT_MAX_DEPTH,
  decode,
  decodePrefix,
  toText,
} from '@p2p/bencode'
import { describe, expect, it } from 'vitest'
import { b, expectError, s } from './helpers.js'

describe('decode: values', () => {
  it('reads integers, byte strings, lists and dictionaries', () => {
    expect(decode(b('i42e'))).toBe(42)
    expect(decode(b('i-42e'))).toBe(-42)
    expect(decode(b('i0e'))).toBe(0)
    expect(s(decode(b('4:spam')) as Uint8Array)).toBe('spam')
    expect((decode(b('0:')) as Uint8Array).length).toBe(0)
    const list = decode(b('l4:spami7ee')) as BencodeList
    expect(list.length).toBe(2)
    expect(toText(list[0])).toBe('spam')
    expect(list[1]).toBe(7)
    const dict = decode(b('d3:bar4:spam3:fooi42ee')) as BencodeDict
    expect(Object.keys(dict)).toEqual(['bar', 'foo'])
    expect(toText(dict.bar)).toBe('spam')
    expect(dict.foo).toBe(42)
    expect(decode(b('le'))).toEqual([])
    expect(Object.keys(decode(b('de')) as object)).toEqual([])
  })

  it('returns byte strings as plain Uint8Array views into the input (no copy)', () => {
    const input = Buffer.from('d4:data5:helloe', 'latin1')
    const data = (decode(input) as BencodeDict).data as Uint8Array
    expect(data.constructor).toBe(Uint8Array)
    expect(data.buffer).toBe(input.buffer)
    expect(data.byteOffset).toBe(input.byteOffset + 9)
    input[9] = 0x4a // 'J'
    expect(toText(data)).toBe('Jello')
  })

  it('honours the byteOffset of a view input', () => {
    const whole = b('xxxx3:abcyy')
    const view = whole.subarray(4, 9)
    expect(toText(decode(view))).toBe('abc')
  })

  it('keeps dictionary keys in input order and reads them as UTF-8', () => {
    const dict = decode(b('d1:ai1e1:bi2e1:ci3ee')) as BencodeDict
    expect(Object.keys(dict)).toEqual(['a', 'b', 'c'])
    const d = decode(new TextEncoder().encode('d8:donnéesi1e6:日本i2ee')) as BencodeDict
    expect(Object.keys(d)).toEqual(['données', '日本'])
    // Keys that are not valid UTF-8 read with U+FFFD (rawEntries keeps their bytes).
    expect(Object.keys(decode(b('d1:\xffi1ee')) as object)).toEqual(['\ufffd'])
  })

  it('gives dictionaries no prototype: __proto__ and constructor are plain data', () => {
    const dict = decode(b('d11:constructori1e9:__proto__i2e8:toStringi3ee'), { strict: false }) as BencodeDict
    expect(Object.getOwnPropertyDescriptor(dict, '__proto__')?.value).toBe(2)
    expect(dict.constructor).toBe(1)
    expect(dict.toString).toBe(3)
    expect(Object.keys(dict)).toEqual(['constructor', '__proto__', 'toString'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const hostile = decode(b('d9:__proto__d8:pollutedi1eee')) as BencodeDict
    expect(Object.getPrototypeOf(hostile)).not.toHaveProperty('polluted')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('reads integers as number when safe and bigint up to the signed 64-bit range', () => {
    expect(decode(b('i9007199254740991e'))).toBe(Number.MAX_SAFE_INTEGER)
    expect(decode(b('i-9007199254740991e'))).toBe(Number.MIN_SAFE_INTEGER)
    expect(decode(b('i9007199254740992e'))).toBe(9007199254740992n)
    expect(decode(b('i-9007199254740992e'))).toBe(-9007199254740992n)
    expect(decode(b('i999999999999999e'))).toBe(999999999999999) // 15 digits: fast path
    expect(decode(b('i1000000000000000e'))).toBe(1000000000000000) // 16 digits, still safe
    expect(decode(b('i9223372036854775807e'))).toBe(2n ** 63n - 1n)
    expect(decode(b('i-9223372036854775808e'))).toBe(-(2n ** 63n))
  })

  it('decodePrefix returns the first value and its length, leaving the rest', () => {
    const input = b('d8:msg_typei1e5:piecei0eeRAWDATA')
    const { value, length } = decodePrefix(input)
    expect((value as BencodeDict).msg_type).toBe(1)
    expect(length).toBe(input.length - 7)
    expect(s(input.subarray(length))).toBe('RAWDATA')
    expect(decodePrefix(b('i1ei2e'))).toEqual({ value: 1, length: 3 })
  })
})

describe('decode: strictness (every rejection has a code and the byte offset)', () => {
  const cases: [input: string, code: BencodeErrorCode, offset: number, why: string][] = [
    ['', 'BENCODE_UNEXPECTED_END', 0, 'empty input'],
    ['i03e', 'BENCODE_INVALID_INTEGER', 0, 'leading zero'],
    ['i00e', 'BENCODE_INVALID_INTEGER', 0, 'leading zero'],
    ['i-0e', 'BENCODE_INVALID_INTEGER', 0, 'negative zero'],
    ['i-03e', 'BENCODE_INVALID_INTEGER', 0, 'negative leading zero'],
    ['ie', 'BENCODE_INVALID_INTEGER', 0, 'empty integer'],
    ['i-e', 'BENCODE_INVALID_INTEGER', 0, 'sign only'],
    ['i+1e', 'BENCODE_INVALID_INTEGER', 1, 'plus sign'],
    ['i1.5e', 'BENCODE_INVALID_INTEGER', 2, 'float'],
    ['i 1e', 'BENCODE_INVALID_INTEGER', 1, 'space'],
    ['i--1e', 'BENCODE_INVALID_INTEGER', 2, 'double minus'],
    ['i12', 'BENCODE_UNEXPECTED_END', 3, 'unterminated integer'],
    ['i', 'BENCODE_UNEXPECTED_END', 1, 'lone i'],
    ['i-', 'BENCODE_UNEXPECTED_END', 2, 'lone minus'],
    ['i9223372036854775808e', 'BENCODE_INTEGER_OVERFLOW', 0, '2^63'],
    ['i-9223372036854775809e', 'BENCODE_INTEGER_OVERFLOW', 0, '-2^63 - 1'],
    ['i99999999999999999999e', 'BENCODE_INTEGER_OVERFLOW', 0, '20 digits'],
    ['li1ei123456789012345678901234567890ee', 'BENCODE_INTEGER_OVERFLOW', 4, 'inside a list'],
    ['5:abc', 'BENCODE_INVALID_LENGTH', 0, 'length past the end'],
    ['l5:abce', 'BENCODE_INVALID_LENGTH', 1, 'length past the end in a list'],
    ['03:abc', 'BENCODE_INVALID_LENGTH', 0, 'length with a leading zero'],
    ['3abc', 'BENCODE_INVALID_LENGTH', 1, 'no colon'],
    ['3', 'BENCODE_INVALID_LENGTH', 0, 'length only, larger than the input'],
    ['0', 'BENCODE_UNEXPECTED_END', 1, 'length only'],
    ['l1', 'BENCODE_UNEXPECTED_END', 2, 'length only, in a list'],
    ['-3:abc', 'BENCODE_UNEXPECTED_BYTE', 0, 'negative length'],
    ['i1ei2e', 'BENCODE_TRAILING_DATA', 3, 'two roots'],
    ['4:spamx', 'BENCODE_TRAILING_DATA', 6, 'trailing byte'],
    ['dei', 'BENCODE_TRAILING_DATA', 2, 'trailing i'],
    ['le\n', 'BENCODE_TRAILING_DATA', 2, 'trailing newline'],
    ['d1:bi1e1:ai2ee', 'BENCODE_UNSORTED_KEYS', 7, 'unsorted keys'],
    ['d2:abi1e1:ai2ee', 'BENCODE_UNSORTED_KEYS', 8, 'a prefix sorts first'],
    ['d1:ai1e1:ai2ee', 'BENCODE_DUPLICATE_KEY', 7, 'duplicate key'],
    ['d1:a1:b1:c1:d1:a1:ee', 'BENCODE_UNSORTED_KEYS', 13, 'a key smaller than the previous one'],
    ['di1ei2ee', 'BENCODE_KEY_NOT_STRING', 1, 'integer key'],
    ['dlei1ee', 'BENCODE_KEY_NOT_STRING', 1, 'list key'],
    ['d1:ae', 'BENCODE_UNEXPECTED_BYTE', 4, 'key without a value'],
    ['d1:a', 'BENCODE_UNEXPECTED_END', 4, 'input ends after a key'],
    ['d', 'BENCODE_UNEXPECTED_END', 1, 'open dictionary'],
    ['l', 'BENCODE_UNEXPECTED_END', 1, 'open list'],
    ['li1e', 'BENCODE_UNEXPECTED_END', 4, 'unterminated list'],
    ['e', 'BENCODE_UNEXPECTED_BYTE', 0, 'end at the root'],
    ['x', 'BENCODE_UNEXPECTED_BYTE', 0, 'junk'],
    ['lxe', 'BENCODE_UNEXPECTED_BYTE', 1, 'junk in a list'],
    ['d1:axe', 'BENCODE_UNEXPECTED_BYTE', 4, 'junk as a value'],
  ]
  for (const [input, code, offset, why] of cases) {
    it(`${JSON.stringify(input)}: ${code} at ${offset} (${why})`, () => {
      const err = expectError(() => decode(b(input)), code, offset)
      expect(err.message).toContain(`at byte ${offset}`)
      expect(err.name).toBe('BencodeError')
    })
  }

  it('accepts the boundary values', () => {
    expect(decode(b('i-1e'))).toBe(-1)
    expect(decode(b('10:0123456789'))).toBeInstanceOf(Uint8Array)
    expect(decode(b('d0:i1ee'))).toEqual(expect.objectContaining({ '': 1 }))
  })

  it('checks key order by raw bytes, not by UTF-16 text', () => {
    // U+FF5E (EF BD 9E) sorts before U+1F600 (F0 9F 98 80) as UTF-8 bytes, after it as UTF-16 code units.
    const enc = new TextEncoder()
    const k1 = enc.encode('\uff5e')
    const k2 = enc.encode('\u{1f600}')
    const sorted = new Uint8Array([...b('d3:'), ...k1, ...b('i1e4:'), ...k2, ...b('i2ee')])
    expect(Object.keys(decode(sorted) as object)).toEqual(['\uff5e', '\u{1f600}'])
    const unsorted = new Uint8Array([...b('d4:'), ...k2, ...b('i2e3:'), ...k1, ...b('i1ee')])
    expectError(() => decode(unsorted), 'BENCODE_UNSORTED_KEYS', 10)
  })

  it('checks key order in every nested dictionary, independently', () => {
    expect(() => decode(b('d1:ad1:bi1e1:ci2ee1:bd1:ai1eee'))).not.toThrow()
    expectError(() => decode(b('d1:ad1:ci1e1:bi2eee')), 'BENCODE_UNSORTED_KEYS', 11)
  })

  it('rejects a length prefix larger than the input before allocating anything', () => {
    // A 4 GiB claim in a few bytes: rejected at once, and a long run of digits stops early.
    expectError(() => decode(b('4294967296:x')), 'BENCODE_INVALID_LENGTH', 0)
    expectError(() => decode(b(`${'9'.repeat(100_000)}:`)), 'BENCODE_INVALID_LENGTH', 0)
    expectError(() => decode(b(`l${'9'.repeat(400)}:e`)), 'BENCODE_INVALID_LENGTH', 1)
  })

  it('refuses a megabyte of integer digits in one linear scan', () => {
    expectError(() => decode(b(`i${'7'.repeat(1_000_000)}e`)), 'BENCODE_INTEGER_OVERFLOW', 0)
    expectError(() => decode(b(`i${'7'.repeat(1_000_000)}`)), 'BENCODE_UNEXPECTED_END', 1_000_001)
  })

  it('rejects anything but a Uint8Array as input', () => {
    for (const bad of [
      'i1e',
      null,
      undefined,
      42,
      [105, 49, 101],
      new ArrayBuffer(3),
      new DataView(new ArrayBuffer(3)),
    ]) {
      expectError(() => decode(bad as never), 'BENCODE_INVALID_INPUT', -1)
    }
  })

  it('accepts Buffer and Uint8Array subclasses', () => {
    expect(decode(Buffer.from('i5e'))).toBe(5)
    class Bytes extends Uint8Array {}
    expect(decode(Bytes.from(b('i6e')))).toBe(6)
  })

  it('rejects invalid limit options with BENCODE_INVALID_INPUT', () => {
    for (const maxDepth of [-1, 1.5, Number.NaN, '3' as never]) {
      expectError(() => decode(b('le'), { maxDepth }), 'BENCODE_INVALID_INPUT')
    }
    expectError(() => decode(b('le'), { maxTokens: -5 }), 'BENCODE_INVALID_INPUT')
    expect(decode(b('le'), { maxTokens: Number.POSITIVE_INFINITY })).toEqual([])
  })
})

describe('decode: lenient mode (strict: false) for wild data', () => {
  it('accepts unsorted keys and keeps their input order', () => {
    const dict = decode(b('d1:bi1e1:ai2ee'), { strict: false }) as BencodeDict
    expect(Object.keys(dict)).toEqual(['b', 'a'])
    expect(dict).toMatchObject({ a: 2, b: 1 })
  })

  it('accepts duplicate keys: the last value wins', () => {
    const dict = decode(b('d1:ai1e1:ai2ee'), { strict: false }) as BencodeDict
    expect(dict.a).toBe(2)
  })

  it('still rejects every malformed value', () => {
    for (const input of ['i03e', 'i-0e', 'ie', '5:abc', 'i1ei2e', 'di1ei1ee', 'i9223372036854775808e']) {
      expect(() => decode(b(input), { strict: false })).toThrow()
    }
  })
})

describe('decode: limits', () => {
  const nested = (depth: number, open = 'l', close = 'e') => b(open.repeat(depth) + close.repeat(depth))

  it(`accepts nesting up to maxDepth (default ${DEFAULT_MAX_DEPTH}) and rejects one more`, () => {
    expect(() => decode(nested(100))).not.toThrow()
    expectError(() => decode(nested(101)), 'BENCODE_DEPTH_EXCEEDED', 100)
    expectError(() => decode(b(`${'d1:a'.repeat(101)}i1e${'e'.repeat(101)}`)), 'BENCODE_DEPTH_EXCEEDED', 400)
    expect(() => decode(nested(3), { maxDepth: 3 })).not.toThrow()
    expectError(() => decode(nested(4), { maxDepth: 3 }), 'BENCODE_DEPTH_EXCEEDED', 3)
    expectError(() => decode(b('le'), { maxDepth: 0 }), 'BENCODE_DEPTH_EXCEEDED', 0)
    expect(decode(b('i1e'), { maxDepth: 0 })).toBe(1)
  })

  it('walks 100,000 levels iteratively (no stack overflow) when the limit allows it', () => {
    const deep = decode(nested(100_000), { maxDepth: 100_000 }) as BencodeList
    let level = 0
    let cur: BencodeList | undefined = deep
    while (cur !== undefined) {
      level++
      cur = cur[0] as BencodeList | undefined
    }
    expect(level).toBe(100_000)
    expectError(() => decode(nested(100_000)), 'BENCODE_DEPTH_EXCEEDED', 100)
    expectError(
      () => decode(b('l'.repeat(1_000_000)), { maxDepth: 2_000_000 }),
      'BENCODE_UNEXPECTED_END',
      1_000_000,
    )
  })

  it('bounds the number of values with maxTokens', () => {
    expect(decode(b('li1ei2ee'), { maxTokens: 3 })).toEqual([1, 2])
    expectError(() => decode(b('li1ei2ei3ee'), { maxTokens: 3 }), 'BENCODE_TOKEN_LIMIT', 7)
    expectError(() => decode(b('d1:ai1e1:bi2ee'), { maxTokens: 2 }), 'BENCODE_TOKEN_LIMIT', 10)
    expectError(() => decode(b('lllleeee'), { maxTokens: 2 }), 'BENCODE_TOKEN_LIMIT', 2)
  })
})

describe('toText', () => {
  it('reads byte strings as UTF-8 and ignores anything else', () => {
    expect(toText(new TextEncoder().encode('日本語'))).toBe('日本語')
    expect(toText(42)).toBeUndefined()
    expect(toText(undefined)).toBeUndefined()
    expect(toText(b('\xff'))).toBe('\ufffd')
    expect(() => toText(b('\xff'), true)).toThrow(TypeError)
  })
})
