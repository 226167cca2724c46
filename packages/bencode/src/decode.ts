import { BencodeError } from './errors.js'
import { recordSpan } from './spans.js'
import type { BencodeDict, BencodeList, BencodeValue } from './types.js'

/** Options of {@link decode} and {@link decodePrefix}. */
export interface DecodeOptions {
  /**
   * Reject unsorted and duplicate dictionary keys, as libtorrent's bdecode does. Default `true`;
   * `false` reads wild data (on a duplicate key the last value wins).
   */
  strict?: boolean
  /** Deepest nesting of lists and dictionaries accepted. Default 100, as libtorrent. */
  maxDepth?: number
  /** Most values (of any kind) accepted in one input. Default 10,000,000. */
  maxTokens?: number
  /** Record the raw byte span of every container and byte string, for {@link rawBytes}. Default `false`. */
  spans?: boolean
}

/** The result of {@link decodePrefix}: the first value and where it ended. */
export interface DecodedPrefix {
  /** The decoded value. */
  value: BencodeValue
  /** Number of bytes the value took; bytes after it are left for the caller. */
  length: number
}

/** Default depth limit (libtorrent's `bdecode` default). */
export const DEFAULT_MAX_DEPTH = 100
/** Default limit on the number of values in one input. */
export const DEFAULT_MAX_TOKENS = 10_000_000

const CH_0 = 0x30
const CH_9 = 0x39
const CH_COLON = 0x3a
const CH_MINUS = 0x2d
const CH_D = 0x64
const CH_E = 0x65
const CH_I = 0x69
const CH_L = 0x6c

/** Digits that always fit a double exactly: 15 decimal digits < 2^53. */
const SAFE_DIGITS = 15
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/**
 * Dictionaries are instances of a function whose prototype has no prototype: V8 keeps them in fast
 * mode (unlike `Object.create(null)`), and no key can reach `Object.prototype`.
 */
const Dict = function Dict(this: BencodeDict) {} as unknown as { new (): BencodeDict }
Dict.prototype = Object.create(null)

const utf8 = new TextDecoder('utf-8')

interface Frame {
  container: BencodeList | BencodeDict
  isDict: boolean
  start: number
  /** Current key of a dictionary awaiting its value, or undefined. */
  key: string | undefined
  keyStart: number
  keyEnd: number
  prevKeyStart: number
  prevKeyEnd: number
}

/**
 * Decodes one bencoded value that must fill `bytes` exactly.
 *
 * Byte strings come back as `Uint8Array` views into `bytes` (no copy): do not modify the input while
 * you use the result. Decoding is iterative, so no input can overflow the stack, and every rejection
 * is a {@link BencodeError} with a stable code and the byte offset.
 *
 * @example
 * ```ts
 * import { decode, encode } from '@p2p/bencode'
 * const msg = decode(encode({ t: 'aa', y: 'q', q: 'ping' })) as BencodeDict
 * new TextDecoder().decode(msg.q as Uint8Array) // 'ping'
 * ```
 * @throws {BencodeError} on malformed input, trailing bytes or a limit exceeded.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): BencodeValue {
  const { value, length } = decodePrefix(bytes, options)
  if (length !== bytes.length) {
    throw new BencodeError('BENCODE_TRAILING_DATA', 'unexpected bytes after the root value', length)
  }
  return value
}

/**
 * Decodes the first bencoded value of `bytes` and says how many bytes it took. Use it where a
 * protocol puts raw data after a bencoded header (BEP 9 `ut_metadata` data messages).
 *
 * @throws {BencodeError} on malformed input or a limit exceeded.
 */
export function decodePrefix(bytes: Uint8Array, options?: DecodeOptions): DecodedPrefix {
  if (!(bytes instanceof Uint8Array)) {
    throw new BencodeError('BENCODE_INVALID_INPUT', `expected Uint8Array, got ${describe(bytes)}`)
  }
  const strict = options?.strict ?? true
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH
  const maxTokens = options?.maxTokens ?? DEFAULT_MAX_TOKENS
  const spans = options?.spans ?? false
  const len = bytes.length
  const stack: Frame[] = []
  let pos = 0
  let tokens = 0

  for (;;) {
    if (pos >= len) throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended inside a value', pos)
    const top = stack.length > 0 ? stack[stack.length - 1]! : undefined
    const c = bytes[pos]!
    let value: BencodeValue
    let valueStart = pos

    if (top?.isDict && top.key === undefined) {
      if (c === CH_E) {
        pos++
        value = stack.pop()!.container
        valueStart = top.start
        if (spans) recordSpan(value, bytes, valueStart, pos)
      } else if (c >= CH_0 && c <= CH_9) {
        const start = readLength(bytes, pos)
        const end = start + lengthValue
        if (strict && top.prevKeyEnd >= 0) {
          const order = compareBytes(bytes, top.prevKeyStart, top.prevKeyEnd, start, end)
          if (order === 0) throw new BencodeError('BENCODE_DUPLICATE_KEY', 'duplicate dictionary key', pos)
          if (order > 0) throw new BencodeError('BENCODE_UNSORTED_KEYS', 'dictionary keys out of order', pos)
        }
        top.key = keyText(bytes, start, end)
        top.keyStart = start
        top.keyEnd = end
        pos = end
        if (pos >= len) throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended after a key', pos)
        continue
      } else {
        throw new BencodeError('BENCODE_KEY_NOT_STRING', 'dictionary key is not a byte string', pos)
      }
    } else if (c === CH_I) {
      value = readInteger(bytes, pos)
      pos = integerEnd
      tokens++
    } else if (c >= CH_0 && c <= CH_9) {
      const start = readLength(bytes, pos)
      pos = start + lengthValue
      value = bytes.subarray(start, pos)
      if (spans) recordSpan(value, bytes, valueStart, pos)
      tokens++
    } else if (c === CH_L || c === CH_D) {
      if (stack.length >= maxDepth) {
        throw new BencodeError('BENCODE_DEPTH_EXCEEDED', `nesting deeper than ${maxDepth}`, pos)
      }
      if (++tokens > maxTokens)
        throw new BencodeError('BENCODE_TOKEN_LIMIT', `more than ${maxTokens} values`, pos)
      stack.push({
        container: c === CH_L ? [] : new Dict(),
        isDict: c === CH_D,
        start: pos,
        key: undefined,
        keyStart: -1,
        keyEnd: -1,
        prevKeyStart: -1,
        prevKeyEnd: -1,
      })
      pos++
      continue
    } else if (c === CH_E && top !== undefined && !top.isDict) {
      pos++
      value = stack.pop()!.container
      valueStart = top.start
      if (spans) recordSpan(value, bytes, valueStart, pos)
    } else {
      throw new BencodeError('BENCODE_UNEXPECTED_BYTE', `unexpected byte 0x${hex(c)}`, pos)
    }
    if (tokens > maxTokens)
      throw new BencodeError('BENCODE_TOKEN_LIMIT', `more than ${maxTokens} values`, pos)

    // Hand the finished value to its parent (or return it as the root).
    const parent = stack.length > 0 ? stack[stack.length - 1]! : undefined
    if (parent === undefined) return { value, length: pos }
    if (parent.isDict) {
      const key = parent.key!
      if (key === '__proto__') {
        Object.defineProperty(parent.container, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
      } else {
        ;(parent.container as BencodeDict)[key] = value
      }
      parent.key = undefined
      parent.prevKeyStart = parent.keyStart
      parent.prevKeyEnd = parent.keyEnd
    } else {
      ;(parent.container as BencodeList).push(value)
    }
  }
}

/** Set by {@link readLength}: the decoded length (kept in module state to avoid an allocation). */
let lengthValue = 0
/** Set by {@link readInteger}: the offset after the closing `e`. */
let integerEnd = 0

/** Reads `<digits>:` at `pos`; returns the offset of the first content byte and sets `lengthValue`. */
function readLength(bytes: Uint8Array, pos: number): number {
  const len = bytes.length
  const first = pos
  let n = 0
  let c = bytes[pos]!
  while (c >= CH_0 && c <= CH_9) {
    n = n * 10 + (c - CH_0)
    if (n > len)
      throw new BencodeError('BENCODE_INVALID_LENGTH', 'string length runs past the end of input', first)
    if (++pos >= len)
      throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended inside a string length', pos)
    c = bytes[pos]!
  }
  if (c !== CH_COLON)
    throw new BencodeError('BENCODE_INVALID_LENGTH', `expected ':' after string length`, pos)
  if (bytes[first] === CH_0 && pos - first > 1) {
    throw new BencodeError('BENCODE_INVALID_LENGTH', 'string length has a leading zero', first)
  }
  pos++
  if (n > len - pos)
    throw new BencodeError('BENCODE_INVALID_LENGTH', 'string length runs past the end of input', first)
  lengthValue = n
  return pos
}

/** Reads `i<digits>e` at `pos`; sets `integerEnd`. */
function readInteger(bytes: Uint8Array, pos: number): number | bigint {
  const len = bytes.length
  const start = pos
  pos++
  let negative = false
  if (pos < len && bytes[pos] === CH_MINUS) {
    negative = true
    pos++
  }
  const digitsStart = pos
  let n = 0
  while (pos < len) {
    const c = bytes[pos]!
    if (c < CH_0 || c > CH_9) break
    n = n * 10 + (c - CH_0)
    pos++
  }
  if (pos >= len) throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended inside an integer', pos)
  if (bytes[pos] !== CH_E) {
    throw new BencodeError('BENCODE_INVALID_INTEGER', `unexpected byte 0x${hex(bytes[pos]!)} in integer`, pos)
  }
  const digits = pos - digitsStart
  if (digits === 0) throw new BencodeError('BENCODE_INVALID_INTEGER', 'empty integer', start)
  if (bytes[digitsStart] === CH_0 && (digits > 1 || negative)) {
    throw new BencodeError(
      'BENCODE_INVALID_INTEGER',
      negative ? 'negative zero' : 'integer has a leading zero',
      start,
    )
  }
  integerEnd = pos + 1
  if (digits <= SAFE_DIGITS) return negative ? -n : n
  let text = ''
  for (let i = digitsStart; i < pos; i++) text += String.fromCharCode(bytes[i]!)
  const big = negative ? -BigInt(text) : BigInt(text)
  if (big < INT64_MIN || big > INT64_MAX) {
    throw new BencodeError('BENCODE_INTEGER_OVERFLOW', 'integer outside the signed 64-bit range', start)
  }
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
}

/** Key text: short ASCII keys (almost all of them) skip the TextDecoder call. */
function keyText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = ''
    for (let i = start; i < end; i++) {
      const c = bytes[i]!
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end))
      s += String.fromCharCode(c)
    }
    return s
  }
  return utf8.decode(bytes.subarray(start, end))
}

function compareBytes(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const aLen = aEnd - aStart
  const bLen = bEnd - bStart
  const n = Math.min(aLen, bLen)
  for (let i = 0; i < n; i++) {
    const d = bytes[aStart + i]! - bytes[bStart + i]!
    if (d !== 0) return d
  }
  return aLen - bLen
}

function hex(c: number): string {
  return c.toString(16).padStart(2, '0')
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return value.constructor?.name ?? 'object'
  return typeof value
}
