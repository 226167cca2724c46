import { type BencodeDict, decode, type Encodable, encode } from '@p2p/bencode'
import { describe, expect, it } from 'vitest'
import { b, expectError, s } from './helpers.js'

const enc = (v: unknown) => s(encode(v as Encodable))

describe('encode', () => {
  it('writes integers, strings, byte arrays, lists and dictionaries', () => {
    expect(enc(42)).toBe('i42e')
    expect(enc(-42)).toBe('i-42e')
    expect(enc(0)).toBe('i0e')
    expect(enc(-0)).toBe('i0e')
    expect(enc('spam')).toBe('4:spam')
    expect(enc('')).toBe('0:')
    expect(enc(b('\x00\xff'))).toBe('2:\x00\xff')
    expect(enc(Buffer.from('ab'))).toBe('2:ab')
    expect(enc([])).toBe('le')
    expect(enc(['spam', 7, [b('x')]])).toBe('l4:spami7el1:xee')
    expect(enc({})).toBe('de')
    expect(enc({ foo: 42, bar: 'spam' })).toBe('d3:bar4:spam3:fooi42ee')
  })

  it('writes strings as UTF-8 with their byte length', () => {
    expect(encode('日本')).toEqual(new Uint8Array([...b('6:'), ...new TextEncoder().encode('日本')]))
    const long = 'é'.repeat(100)
    expect(encode(long).length).toBe('200:'.length + 200)
    const ascii = 'x'.repeat(1000)
    expect(enc(ascii)).toBe(`1000:${ascii}`)
  })

  it('writes integers beyond 2^53 from bigint, up to any size', () => {
    expect(enc(2n ** 63n - 1n)).toBe('i9223372036854775807e')
    expect(enc(-(2n ** 63n))).toBe('i-9223372036854775808e')
    expect(enc(0n)).toBe('i0e')
    expect(enc(Number.MAX_SAFE_INTEGER)).toBe('i9007199254740991e')
    expect(enc(Number.MIN_SAFE_INTEGER)).toBe('i-9007199254740991e')
  })

  it('rejects floats, unsafe numbers and values bencode has no form for', () => {
    for (const bad of [1.5, -0.25, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 60)]) {
      const err = expectError(() => encode(bad), 'BENCODE_UNSUPPORTED_VALUE', -1)
      expect(err.message).not.toContain('at byte')
    }
    for (const bad of [
      null,
      undefined,
      true,
      false,
      Symbol('x'),
      () => 1,
      new Int16Array(2),
      new DataView(new ArrayBuffer(1)),
    ]) {
      expectError(() => encode(bad as never), 'BENCODE_UNSUPPORTED_VALUE')
    }
    expectError(() => encode([1, 2.5] as never), 'BENCODE_UNSUPPORTED_VALUE')
    expectError(() => encode({ a: { b: [null] } } as never), 'BENCODE_UNSUPPORTED_VALUE')
  })

  it('rejects objects that are not plain (Date, Set, class instances...)', () => {
    class Point {
      x = 1
    }
    for (const bad of [new Date(0), new Set([1]), new Point(), /x/, Promise.resolve(1), new Error('x')]) {
      expectError(() => encode(bad as never), 'BENCODE_UNSUPPORTED_VALUE')
    }
    expect(enc(Object.assign(Object.create(null), { a: 1 }))).toBe('d1:ai1ee')
  })

  it('skips undefined values in objects and maps (optional fields)', () => {
    expect(enc({ a: 1, b: undefined, c: 'x' })).toBe('d1:ai1e1:c1:xe')
    expect(
      enc(
        new Map<string, Encodable | undefined>([
          ['a', undefined],
          ['b', 2],
        ]),
      ),
    ).toBe('d1:bi2ee')
  })

  it('sorts dictionary keys by raw UTF-8 bytes, not by UTF-16 code units', () => {
    expect(enc({ b: 1, a: 2, ab: 3, B: 4, '': 5 })).toBe('d0:i5e1:Bi4e1:ai2e2:abi3e1:bi1ee')
    // U+FF5E is EF BD 9E; U+1F600 is F0 9F 98 80: bytes put U+FF5E first, UTF-16 (D83D...) the other way.
    const out = encode({ '\u{1f600}': 1, '\uff5e': 2 })
    expect(Object.keys(decode(out) as object)).toEqual(['\uff5e', '\u{1f600}'])
    // Integer-like keys, which JavaScript enumerates first in numeric order, are sorted as bytes too.
    expect(enc({ 10: 'a', 9: 'b', x: 'c' })).toBe('d2:101:a1:91:b1:x1:ce')
  })

  it('encodes Map with string and Uint8Array keys, sorted by bytes', () => {
    const m = new Map<string | Uint8Array, Encodable>([
      ['zeta', 1],
      [b('\xff\x00'), 2],
      ['alpha', 3],
      [b('\x00'), 4],
    ])
    expect(enc(m)).toBe('d1:\x00i4e5:alphai3e4:zetai1e2:\xff\x00i2ee')
    expect(enc(new Map())).toBe('de')
  })

  it('rejects two map keys with the same bytes and keys that are not strings or bytes', () => {
    expectError(
      () =>
        encode(
          new Map<string | Uint8Array, Encodable>([
            ['a', 1],
            [b('a'), 2],
          ]),
        ),
      'BENCODE_UNSUPPORTED_VALUE',
    )
    expectError(() => encode(new Map([[1, 2]]) as never), 'BENCODE_UNSUPPORTED_VALUE')
  })

  it('reports cycles and runaway nesting instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expectError(() => encode(cyclic as never), 'BENCODE_UNSUPPORTED_VALUE')
    const list: unknown[] = []
    list.push(list)
    expectError(() => encode(list as never), 'BENCODE_UNSUPPORTED_VALUE')
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expectError(() => encode(deep as never), 'BENCODE_UNSUPPORTED_VALUE')
  })

  it('returns an independent buffer each call', () => {
    const first = encode({ a: 'x' })
    const second = encode({ b: 'y' })
    expect(s(first)).toBe('d1:a1:xe')
    expect(s(second)).toBe('d1:b1:ye')
    expect(first.buffer).not.toBe(second.buffer)
  })

  it('survives an encode call made from inside a getter of the value being encoded', () => {
    const value = {
      get inner() {
        return encode({ nested: 'x'.repeat(100) })
      },
      z: 'done',
    }
    expect(enc(value)).toBe(
      `d5:inner${'d6:nested100:'.length + 101}:d6:nested100:${'x'.repeat(100)}e1:z4:donee`,
    )
  })

  it('round-trips a decoded dictionary (prototype-less, __proto__ key) byte for byte', () => {
    const input = b('d9:__proto__i1e1:ad1:bl0:i-5eeee')
    const value = decode(input) as BencodeDict
    expect(s(encode(value))).toBe(s(input))
  })

  it('grows its buffer for large outputs', () => {
    const big = new Uint8Array(3_000_000).fill(7)
    const out = encode({ big, list: Array.from({ length: 20_000 }, (_, i) => i) })
    const back = decode(out) as BencodeDict
    expect((back.big as Uint8Array).length).toBe(3_000_000)
    expect((back.list as number[])[19_999]).toBe(19_999)
  })
})
