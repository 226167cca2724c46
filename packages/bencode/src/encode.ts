import { BencodeError } from './errors.js'
import type { Encodable } from './types.js'

/** Deepest nesting `encode` follows before it reports a cycle or runaway structure. */
const MAX_ENCODE_DEPTH = 1000
/** Size of the reusable output buffer; a call that outgrows it gets a bigger one, kept while small. */
const SCRATCH_SIZE = 64 * 1024
/** Largest buffer kept between calls (a bigger one is dropped after the call that needed it). */
const MAX_KEPT_SCRATCH = 4 * 1024 * 1024

const CH_0 = 0x30
const CH_COLON = 0x3a
const CH_D = 0x64
const CH_E = 0x65
const CH_I = 0x69
const CH_L = 0x6c
const CH_MINUS = 0x2d

/** Longest `number` encoding: `i`, `-`, the 16 digits of 2^53 - 1, `e`. */
const MAX_NUMBER_BYTES = 19
/** Longest length prefix written for a byte string: up to 16 digits and `:`. */
const MAX_LENGTH_PREFIX_BYTES = 17

const utf8 = new TextEncoder()

/**
 * Encodes a value as bencode. Dictionary keys are written in ascending raw-byte order (as BEP 3
 * requires), strings as UTF-8, `undefined` object values are skipped.
 *
 * @example
 * ```ts
 * import { encode } from '@p2p/bencode'
 * encode({ interval: 1800, peers: new Uint8Array(6) }) // d8:intervali1800e5:peers6:......e
 * ```
 * @returns a new `Uint8Array` holding exactly the encoding.
 * @throws {BencodeError} `BENCODE_UNSUPPORTED_VALUE` for floats, unsafe integers given as `number`,
 *   `null`, booleans, symbols, functions, objects that are not plain (`Date`, `Set`, class
 *   instances...), cycles and nesting deeper than 1000.
 */
export function encode(value: Encodable): Uint8Array {
  // One writer and its buffer serve every call; a call made while it is busy (from a getter of the
  // value being encoded) gets its own.
  const writer = shared.busy ? new Writer(new Uint8Array(INITIAL_PRIVATE_SIZE)) : shared
  writer.busy = true
  writer.pos = 0
  try {
    writer.value(value, 0)
    return writer.buf.slice(0, writer.pos)
  } finally {
    writer.busy = false
    if (writer.buf.length > MAX_KEPT_SCRATCH) writer.buf = new Uint8Array(SCRATCH_SIZE)
  }
}

const INITIAL_PRIVATE_SIZE = 1024

/** A growable output buffer with the encoders for each kind of value. */
class Writer {
  buf: Uint8Array
  pos = 0
  busy = false

  constructor(buf: Uint8Array) {
    this.buf = buf
  }

  value(v: unknown, depth: number): void {
    if (typeof v === 'string') return this.string(v)
    if (typeof v === 'number') return this.number(v)
    if (v instanceof Uint8Array) return this.bytes(v)
    if (typeof v === 'bigint') return this.integerText(v.toString())
    if (depth >= MAX_ENCODE_DEPTH) {
      throw new BencodeError(
        'BENCODE_UNSUPPORTED_VALUE',
        `nesting deeper than ${MAX_ENCODE_DEPTH} (a cycle?)`,
      )
    }
    if (Array.isArray(v)) {
      this.byte(CH_L)
      for (let i = 0; i < v.length; i++) this.value(v[i], depth + 1)
      return this.byte(CH_E)
    }
    if (typeof v === 'object' && v !== null) {
      if (v instanceof Map) return this.map(v, depth)
      if (isPlain(v)) return this.object(v as Record<string, unknown>, depth)
    }
    throw new BencodeError('BENCODE_UNSUPPORTED_VALUE', `cannot bencode ${describe(v)}`)
  }

  number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      throw new BencodeError(
        'BENCODE_UNSUPPORTED_VALUE',
        Number.isInteger(n) ? `unsafe integer ${n}: pass a bigint` : `cannot bencode non-integer ${n}`,
      )
    }
    this.ensure(MAX_NUMBER_BYTES)
    this.buf[this.pos++] = CH_I
    if (n < 0) {
      this.buf[this.pos++] = CH_MINUS
      n = -n
    }
    this.digits(n)
    this.buf[this.pos++] = CH_E
  }

  integerText(text: string): void {
    this.ensure(text.length + 2)
    const buf = this.buf
    let p = this.pos
    buf[p++] = CH_I
    for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i)
    buf[p++] = CH_E
    this.pos = p
  }

  /** Writes the decimal digits of a non-negative safe integer (the caller ensured room for 16). */
  digits(n: number): void {
    const buf = this.buf
    if (n < 10) {
      buf[this.pos++] = CH_0 + n
      return
    }
    let width = 1
    for (let t = n; t >= 10; t = Math.floor(t / 10)) width++
    let p = this.pos + width
    this.pos = p
    while (n >= 10) {
      const q = Math.floor(n / 10)
      buf[--p] = CH_0 + (n - q * 10)
      n = q
    }
    buf[--p] = CH_0 + n
  }

  string(s: string): void {
    const n = s.length
    // Short ASCII strings are written code unit by code unit; anything else goes through TextEncoder.
    if (n <= 64) {
      this.ensure(n + MAX_LENGTH_PREFIX_BYTES)
      const buf = this.buf
      const start = this.pos
      this.digits(n)
      buf[this.pos++] = CH_COLON
      let p = this.pos
      let i = 0
      for (; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        buf[p++] = c
      }
      if (i === n) {
        this.pos = p
        return
      }
      this.pos = start
    }
    this.bytes(utf8.encode(s))
  }

  bytes(b: Uint8Array): void {
    const n = b.length
    this.ensure(n + MAX_LENGTH_PREFIX_BYTES)
    this.digits(n)
    this.buf[this.pos++] = CH_COLON
    if (n <= 16) {
      const buf = this.buf
      let p = this.pos
      for (let i = 0; i < n; i++) buf[p++] = b[i]!
      this.pos = p
    } else {
      this.buf.set(b, this.pos)
      this.pos += n
    }
  }

  object(o: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(o)
    // Plain ASCII keys already in order (decoded dictionaries, most literals) need no sort; for ASCII,
    // code-unit order is byte order.
    let ascii = true
    let sorted = true
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!
      for (let i = 0; i < key.length; i++) {
        if (key.charCodeAt(i) >= 0x80) {
          ascii = false
          break
        }
      }
      if (k > 0 && !(keys[k - 1]! < key)) sorted = false
    }
    this.byte(CH_D)
    if (ascii) {
      if (!sorted) keys.sort()
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!
        const v = o[key]
        if (v === undefined) continue
        this.string(key)
        this.value(v, depth + 1)
      }
    } else {
      const entries = keys.map((key) => [utf8.encode(key), o[key]] as const)
      entries.sort((a, b) => compare(a[0], b[0]))
      this.entries(entries, depth)
    }
    this.byte(CH_E)
  }

  map(m: ReadonlyMap<unknown, unknown>, depth: number): void {
    const entries: (readonly [Uint8Array, unknown])[] = []
    for (const [key, v] of m) {
      if (typeof key === 'string') entries.push([utf8.encode(key), v])
      else if (key instanceof Uint8Array) entries.push([key, v])
      else
        throw new BencodeError(
          'BENCODE_UNSUPPORTED_VALUE',
          `map key must be a string or Uint8Array, got ${describe(key)}`,
        )
    }
    entries.sort((a, b) => compare(a[0], b[0]))
    this.byte(CH_D)
    this.entries(entries, depth)
    this.byte(CH_E)
  }

  entries(entries: readonly (readonly [Uint8Array, unknown])[], depth: number): void {
    for (let i = 0; i < entries.length; i++) {
      const [key, v] = entries[i]!
      if (i > 0 && compare(entries[i - 1]![0], key) === 0) {
        throw new BencodeError('BENCODE_UNSUPPORTED_VALUE', 'two dictionary keys encode to the same bytes')
      }
      if (v === undefined) continue
      this.bytes(key)
      this.value(v, depth + 1)
    }
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1)
    this.buf[this.pos++] = b
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n)
  }

  grow(n: number): void {
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
}

const shared = new Writer(new Uint8Array(SCRATCH_SIZE))

/**
 * Plain objects only: literals, `Object.create(null)` and decoded dictionaries (whose prototype has
 * no prototype). A `Date`, `Set` or class instance would otherwise encode as its own enumerable
 * fields, silently.
 */
function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null
}

/** Compares two byte strings in ascending raw-byte order. */
function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}
