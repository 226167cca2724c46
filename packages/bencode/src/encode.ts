import { BencodeError } from './errors.js'
import type { Encodable } from './types.js'

/** Deepest nesting `encode` follows before it reports a cycle or runaway structure. */
const MAX_ENCODE_DEPTH = 1000
const INITIAL_CAPACITY = 4096

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
 * @throws {BencodeError} `BENCODE_UNSUPPORTED_VALUE` for floats, `null`, booleans, symbols,
 *   functions, cycles and nesting deeper than 1000.
 */
export function encode(value: Encodable): Uint8Array {
  const writer = new Writer()
  writer.value(value, 0)
  return writer.buf.subarray(0, writer.pos)
}

/** A growable output buffer with the encoders for each kind of value. */
class Writer {
  buf = new Uint8Array(INITIAL_CAPACITY)
  pos = 0

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
      this.byte(0x6c)
      for (const item of v) this.value(item, depth + 1)
      return this.byte(0x65)
    }
    if (v instanceof Map) return this.map(v, depth)
    if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) return this.object(v as object, depth)
    throw new BencodeError('BENCODE_UNSUPPORTED_VALUE', `cannot bencode ${describe(v)}`)
  }

  number(n: number): void {
    if (!Number.isInteger(n))
      throw new BencodeError('BENCODE_UNSUPPORTED_VALUE', `cannot bencode non-integer ${n}`)
    if (!Number.isSafeInteger(n)) {
      throw new BencodeError('BENCODE_UNSUPPORTED_VALUE', `unsafe integer ${n}: pass a bigint`)
    }
    this.integerText(n === 0 ? '0' : String(n))
  }

  integerText(text: string): void {
    this.ensure(text.length + 2)
    const buf = this.buf
    let p = this.pos
    buf[p++] = 0x69
    for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i)
    buf[p++] = 0x65
    this.pos = p
  }

  string(s: string): void {
    const n = s.length
    // Short ASCII strings are written byte by byte; anything else goes through TextEncoder.
    if (n <= 64) {
      let ascii = true
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false
          break
        }
      }
      if (ascii) {
        this.length(n)
        this.ensure(n)
        const buf = this.buf
        let p = this.pos
        for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i)
        this.pos = p
        return
      }
    }
    this.bytes(utf8.encode(s))
  }

  bytes(b: Uint8Array): void {
    this.length(b.length)
    this.ensure(b.length)
    this.buf.set(b, this.pos)
    this.pos += b.length
  }

  length(n: number): void {
    const text = String(n)
    this.ensure(text.length + 1)
    const buf = this.buf
    let p = this.pos
    for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i)
    buf[p++] = 0x3a
    this.pos = p
  }

  object(o: object, depth: number): void {
    const record = o as Record<string, unknown>
    const keys = Object.keys(record)
    this.byte(0x64)
    if (isAsciiList(keys)) {
      // Code-unit order equals byte order for ASCII keys.
      keys.sort()
      for (const key of keys) {
        const v = record[key]
        if (v === undefined) continue
        this.string(key)
        this.value(v, depth + 1)
      }
    } else {
      const entries = keys.map((key) => [utf8.encode(key), record[key]] as const)
      entries.sort((a, b) => compare(a[0], b[0]))
      this.entries(entries, depth)
    }
    this.byte(0x65)
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
    this.byte(0x64)
    this.entries(entries, depth)
    this.byte(0x65)
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
    this.ensure(1)
    this.buf[this.pos++] = b
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }
}

function isAsciiList(keys: readonly string[]): boolean {
  for (const key of keys) {
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) >= 0x80) return false
  }
  return true
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
