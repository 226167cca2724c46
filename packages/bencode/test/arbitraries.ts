import { type BencodeValue, type Encodable, rawEntries } from '@p2p/bencode'
import fc from 'fast-check'

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

export interface ValueOptions {
  /** Include bigints (npm bencode drops them silently). Default true. */
  bigint?: boolean
  /** Key text: 'any' (full Unicode) or 'bmp-low' (below U+D800, where UTF-16 and UTF-8 orders agree). */
  keys?: 'any' | 'bmp-low'
  /** Include Maps with byte-string keys. Default true. */
  maps?: boolean
}

/** Random encodable values: integers (number and bigint), text, bytes, lists, objects and Maps. */
export function encodable(options: ValueOptions = {}): fc.Arbitrary<Encodable> {
  const ints: fc.Arbitrary<Encodable>[] = [fc.integer(), fc.maxSafeInteger()]
  if (options.bigint !== false) ints.push(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }))
  const key =
    options.keys === 'bmp-low'
      ? fc.string({
          unit: fc.integer({ min: 0, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
          maxLength: 8,
        })
      : fc.string({ unit: 'grapheme', maxLength: 8 })
  const { value } = fc.letrec<{ value: Encodable }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ...ints,
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }),
      ...(options.maps === false
        ? []
        : [
            fc
              .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 6 }), tie('value')), {
                maxLength: 4,
                selector: ([k]) => Buffer.from(k).toString('hex'),
              })
              .map((entries) => new Map<Uint8Array, Encodable>(entries)),
          ]),
    ),
  }))
  return value
}

/**
 * What `decode(encode(v))` must give back, as comparable JSON-like data: strings become UTF-8 bytes,
 * safe bigints become numbers, objects and Maps become `{ key bytes (hex): value }` sorted by bytes.
 */
export function expected(v: unknown): unknown {
  if (typeof v === 'string') return { bytes: Buffer.from(v, 'utf8').toString('hex') }
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') }
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v
  if (typeof v === 'bigint')
    return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : `${v}n`
  if (Array.isArray(v)) return v.map(expected)
  const entries: [string, unknown][] = []
  const pairs = v instanceof Map ? [...v.entries()] : Object.entries(v as object)
  for (const [k, val] of pairs) {
    const keyBytes = typeof k === 'string' ? Buffer.from(k, 'utf8') : Buffer.from(k as Uint8Array)
    entries.push([keyBytes.toString('hex'), expected(val)])
  }
  entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
  return { dict: entries }
}

/** The same JSON-like form for a decoded value (dictionaries through rawEntries: needs `spans`). */
export function actual(v: BencodeValue): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') }
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return `${v}n`
  if (Array.isArray(v)) return v.map(actual)
  const entries = rawEntries(v)
  if (entries === undefined) throw new Error('decode with { spans: true } to compare dictionaries')
  return { dict: entries.map(([k, val]) => [Buffer.from(k).toString('hex'), actual(val)]) }
}
