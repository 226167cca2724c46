import { BencodeError, type BencodeErrorCode, decode, decodePrefix, encode, rawBytes } from '@p2p/bencode'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { actual, encodable, expected } from './arbitraries.js'

/** Runs `fn`; anything thrown must be a BencodeError. Returns the error code, or undefined. */
function codeOf(fn: () => unknown): BencodeErrorCode | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (!(err instanceof BencodeError)) throw err
    expect(err.offset).toBeGreaterThanOrEqual(0)
    return err.code
  }
}

/** Whether every dictionary key of a canonical encoding is valid UTF-8 (so the object view is exact). */
function keysAreText(bytes: Uint8Array): boolean {
  try {
    const v = decode(bytes)
    const walk = (x: unknown): boolean =>
      Array.isArray(x)
        ? x.every(walk)
        : typeof x === 'object' && x !== null && !(x instanceof Uint8Array)
          ? Object.entries(x).every(([k, y]) => !k.includes('\ufffd') && walk(y))
          : true
    return walk(v)
  } catch {
    return false
  }
}

const bencodeish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'i',
        'l',
        'd',
        'e',
        ':',
        '-',
        '0',
        '1',
        '2',
        '9',
        '3:abc',
        '1:a',
        '1:b',
        'i0e',
        'i-1e',
        'le',
        'de',
      ),
      fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    ),
    { maxLength: 40 },
  )
  .map((parts) => Uint8Array.from(parts.join(''), (ch) => ch.charCodeAt(0)))

describe('properties', () => {
  it('round-trips random values: decode(encode(v)) is v, and encoding is a fixed point', () => {
    fc.assert(
      fc.property(encodable(), (v) => {
        const bytes = encode(v)
        const back = decode(bytes, { spans: true })
        expect(actual(back)).toEqual(expected(v))
        expect(rawBytes(back) ?? bytes).toEqual(bytes)
        if (keysAreText(bytes)) expect(encode(back)).toEqual(bytes)
      }),
      { numRuns: 500 },
    )
  })

  it('random bytes never crash: a value or a BencodeError with an offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, strict) => {
        codeOf(() => decode(bytes, { strict, spans: true }))
      }),
      { numRuns: 3000 },
    )
  })

  it('bencode-like token soup: never crashes, and whatever strict decoding accepts re-encodes to itself', () => {
    fc.assert(
      fc.property(bencodeish, (bytes) => {
        if (codeOf(() => decode(bytes)) === undefined && keysAreText(bytes)) {
          expect(Buffer.from(encode(decode(bytes) as never)).toString('latin1')).toBe(
            Buffer.from(bytes).toString('latin1'),
          )
        }
        codeOf(() => decode(bytes, { strict: false, maxDepth: 3, maxTokens: 5 }))
      }),
      { numRuns: 3000 },
    )
  })

  it('mutated encodings (flip, insert, delete, overwrite) decode or throw BencodeError', () => {
    const mutation = fc.tuple(
      fc.constantFrom('flip', 'insert', 'delete', 'set'),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
    )
    fc.assert(
      fc.property(encodable(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (v, mutations) => {
        const bytes = [...encode(v)]
        for (const [kind, at, byte] of mutations) {
          const i = bytes.length === 0 ? 0 : at % bytes.length
          if (kind === 'flip' && bytes.length > 0) bytes[i]! ^= 1 << (byte & 7)
          else if (kind === 'insert') bytes.splice(i, 0, byte)
          else if (kind === 'delete') bytes.splice(i, 1)
          else if (bytes.length > 0) bytes[i] = byte
        }
        codeOf(() => decode(Uint8Array.from(bytes)))
        codeOf(() => decode(Uint8Array.from(bytes), { strict: false, spans: true }))
      }),
      { numRuns: 1500 },
    )
  })

  it('every proper prefix of an encoding is rejected as cut short; decodePrefix finds the end', () => {
    fc.assert(
      fc.property(encodable(), fc.uint8Array({ maxLength: 8 }), (v, tail) => {
        const bytes = encode(v)
        for (let cut = 0; cut < bytes.length; cut++) {
          const code = codeOf(() => decode(bytes.subarray(0, cut)))
          expect(['BENCODE_UNEXPECTED_END', 'BENCODE_INVALID_LENGTH']).toContain(code)
        }
        const framed = new Uint8Array([...bytes, ...tail])
        expect(decodePrefix(framed).length).toBe(bytes.length)
      }),
      { numRuns: 200 },
    )
  })

  it('the limits hold on random values: a depth or token rejection, never anything deeper', () => {
    fc.assert(
      fc.property(
        encodable(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        (v, maxDepth, maxTokens) => {
          const code = codeOf(() => decode(encode(v), { maxDepth, maxTokens }))
          expect([undefined, 'BENCODE_DEPTH_EXCEEDED', 'BENCODE_TOKEN_LIMIT']).toContain(code)
        },
      ),
      { numRuns: 500 },
    )
  })
})
