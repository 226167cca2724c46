import { keyText } from './dict-keys.js'
import { BencodeError } from './errors.js'
import { recordDict, recordEntry, recordSpan } from './spans.js'
import type { BencodeDict, BencodeValue } from './types.js'

/** Options of {@link decode} and {@link decodePrefix}. */
export interface DecodeOptions {
  /**
   * Reject unsorted and duplicate dictionary keys (BEP 3 requires keys sorted as raw bytes).
   * Default `true`; `false` reads wild data, e.g. torrents that libtorrent's loader tolerates
   * (on a duplicate key the last value wins; {@link rawEntries} keeps them all). Every other rule
   * holds in both modes.
   */
  strict?: boolean
  /** Deepest nesting of lists and dictionaries accepted. Default 100, as libtorrent. */
  maxDepth?: number
  /** Most values (of any kind) accepted in one input. Default 10,000,000. */
  maxTokens?: number
  /**
   * Record the raw byte span of every container and byte string, for {@link rawBytes} and
   * {@link rawSpan}, and the raw keys of every dictionary, for {@link rawEntries}. Default `false`.
   */
  spans?: boolean
  /**
   * With `spans`: record them only for values nested at most this deep (the root value is at depth
   * 0, its elements at 1, ...), and entries only for dictionaries at most this deep. A torrent's
   * `info` dictionary needs depth 1, not the spans of its 100,000 file entries. Default: all depths.
   */
  spanDepth?: number
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

/** Slots per spilled container in the decoder's stack array (see the spill in decodeFirst). */
const FRAME_SLOTS = 8

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
/** Decimal digits of 2^63. */
const INT64_DIGITS = 19
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * Dictionaries are instances of a function whose prototype has no prototype: V8 keeps them in fast
 * mode (unlike `Object.create(null)`), and no key can reach `Object.prototype` (`__proto__` is an
 * ordinary own property, as there is no inherited setter).
 */
const Dict = function Dict(this: BencodeDict) {} as unknown as { new (): BencodeDict }
Dict.prototype = Object.create(null)

/**
 * Decodes one bencoded value that must fill `bytes` exactly.
 *
 * Byte strings come back as `Uint8Array` views into `bytes` (no copy): do not modify the input while
 * you use the result. Decoding is iterative, so no input can overflow the stack, and every rejection
 * is a {@link BencodeError} with a stable code and the byte offset.
 *
 * @example
 * ```ts
 * import { decode, encode, toText, type BencodeDict } from '@p2p/bencode'
 * const msg = decode(encode({ t: 'aa', y: 'q', q: 'ping' })) as BencodeDict
 * toText(msg.q) // 'ping'
 * ```
 * @throws {BencodeError} on malformed input, trailing bytes or a limit exceeded.
 */
export function decode(bytes: Uint8Array, options?: DecodeOptions): BencodeValue {
  try {
    const value = decodeFirst(bytes, options)
    if (valueEnd !== bytes.length) {
      throw new BencodeError('BENCODE_TRAILING_DATA', 'unexpected bytes after the root value', valueEnd)
    }
    return value
  } finally {
    items.length = 0
  }
}

/**
 * Decodes the first bencoded value of `bytes` and says how many bytes it took. Use it where a
 * protocol puts raw data after a bencoded header (BEP 9 `ut_metadata` data messages).
 *
 * @example
 * ```ts
 * import { decodePrefix } from '@p2p/bencode'
 * const { value: header, length } = decodePrefix(message)
 * const piece = message.subarray(length)
 * ```
 * @throws {BencodeError} on malformed input or a limit exceeded.
 */
export function decodePrefix(bytes: Uint8Array, options?: DecodeOptions): DecodedPrefix {
  try {
    const value = decodeFirst(bytes, options)
    return { value, length: valueEnd }
  } finally {
    items.length = 0
  }
}

/** Set by {@link decodeFirst}: the offset after the value it returned (module state: no allocation). */
let valueEnd = 0

/**
 * The elements of the lists being decoded, innermost last. A list is built in one exact-size
 * allocation when it closes (growing each list by `push` costs several times more), and emptied
 * by the callers of {@link decodeFirst} so it holds nothing between calls.
 */
const items: BencodeValue[] = []

/** What the innermost open value is. */
const IN_ROOT = 0
const IN_LIST = 1
const IN_DICT = 2

/** Decodes the value at the start of `bytes` and sets {@link valueEnd}. */
function decodeFirst(bytes: Uint8Array, options: DecodeOptions | undefined): BencodeValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new BencodeError('BENCODE_INVALID_INPUT', `expected Uint8Array, got ${describe(bytes)}`)
  }
  const strict = options?.strict ?? true
  const maxDepth = limit(options?.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth')
  const maxTokens = limit(options?.maxTokens, DEFAULT_MAX_TOKENS, 'maxTokens')
  // Deepest nesting whose spans are recorded (-1: none).
  const spanDepth = options?.spans === true ? (options.spanDepth ?? Number.POSITIVE_INFINITY) : -1
  const len = bytes.length
  const buffer = bytes.buffer
  const base = bytes.byteOffset
  const stack = items
  let sp = 0

  // The innermost open container lives in these locals; the ones around it are spilled into
  // `outer`, FRAME_SLOTS entries per depth, so the walk allocates nothing per container.
  let outer: unknown[] | undefined
  let depth = 0
  let kind = IN_ROOT
  let dict: BencodeDict | undefined
  let listBase = 0
  let topStart = 0
  let prevKeyStart = -1
  let prevKeyEnd = -1
  let key = ''
  /** With `spans`: the raw bytes of `key`, for {@link rawEntries}. */
  let keyBytes: Uint8Array | undefined
  let pos = 0
  let tokens = 0

  for (;;) {
    if (pos >= len) throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended inside a value', pos)
    let c = bytes[pos]!
    let value: BencodeValue

    if (c === CH_E && kind !== IN_ROOT) {
      pos++
      if (kind === IN_LIST) {
        value = stack.slice(listBase, sp)
        sp = listBase
      } else value = dict!
      if (depth <= spanDepth + 1) recordSpan(value, bytes, topStart, pos)
      if (--depth === 0) {
        valueEnd = pos
        return value
      }
      const f = depth * FRAME_SLOTS
      kind = outer![f] as number
      dict = outer![f + 1] as BencodeDict | undefined
      listBase = outer![f + 2] as number
      topStart = outer![f + 3] as number
      prevKeyStart = outer![f + 4] as number
      prevKeyEnd = outer![f + 5] as number
      key = outer![f + 6] as string
      keyBytes = outer![f + 7] as Uint8Array | undefined
    } else {
      if (kind === IN_DICT) {
        const keyStart = readKey(bytes, pos, strict ? prevKeyStart : -1, prevKeyEnd)
        const keyEnd = keyStart + lengthValue
        key = keyText(bytes, keyStart, keyEnd)
        if (depth <= spanDepth + 1) keyBytes = new Uint8Array(buffer, base + keyStart, lengthValue)
        prevKeyStart = keyStart
        prevKeyEnd = keyEnd
        pos = keyEnd
        if (pos >= len) throw new BencodeError('BENCODE_UNEXPECTED_END', 'input ended after a key', pos)
        c = bytes[pos]!
      }

      if (++tokens > maxTokens) {
        throw new BencodeError('BENCODE_TOKEN_LIMIT', `more than ${maxTokens} values`, pos)
      }
      if (c >= CH_0 && c <= CH_9) {
        const start = readLength(bytes, pos)
        const end = start + lengthValue
        value = new Uint8Array(buffer, base + start, lengthValue)
        if (depth <= spanDepth) recordSpan(value, bytes, pos, end)
        pos = end
      } else if (c === CH_I) {
        value = readInteger(bytes, pos)
        pos = integerEnd
      } else if (c === CH_L || c === CH_D) {
        if (depth >= maxDepth) {
          throw new BencodeError('BENCODE_DEPTH_EXCEEDED', `nesting deeper than ${maxDepth}`, pos)
        }
        if (kind !== IN_ROOT) {
          outer ??= []
          const f = depth * FRAME_SLOTS
          outer[f] = kind
          outer[f + 1] = dict
          outer[f + 2] = listBase
          outer[f + 3] = topStart
          outer[f + 4] = prevKeyStart
          outer[f + 5] = prevKeyEnd
          outer[f + 6] = key
          outer[f + 7] = keyBytes
        }
        depth++
        topStart = pos
        pos++
        if (c === CH_L) {
          kind = IN_LIST
          listBase = sp
        } else {
          kind = IN_DICT
          dict = new Dict()
          if (depth <= spanDepth + 1) recordDict(dict)
          prevKeyStart = -1
          prevKeyEnd = -1
        }
        continue
      } else throw new BencodeError('BENCODE_UNEXPECTED_BYTE', `unexpected byte 0x${hex(c)}`, pos)
      if (kind === IN_ROOT) {
        valueEnd = pos
        return value
      }
    }

    // Hand the finished value to the innermost open container.
    if (kind === IN_DICT) {
      dict![key] = value
      if (depth <= spanDepth + 1) recordEntry(dict!, keyBytes!, value)
    } else stack[sp++] = value
  }
}

/**
 * Checks the dictionary key at `pos` (a byte string sorting after the previous key at
 * `prevKeyStart`..`prevKeyEnd`; `prevKeyStart` -1 for none or not strict) and returns the offset of
 * its first byte, with its length in `lengthValue`.
 */
function readKey(bytes: Uint8Array, pos: number, prevKeyStart: number, prevKeyEnd: number): number {
  const c = bytes[pos]!
  if (c < CH_0 || c > CH_9) {
    throw new BencodeError('BENCODE_KEY_NOT_STRING', 'dictionary key is not a byte string', pos)
  }
  const keyStart = readLength(bytes, pos)
  if (prevKeyStart >= 0) {
    const order = compareBytes(bytes, prevKeyStart, prevKeyEnd, keyStart, keyStart + lengthValue)
    if (order >= 0) {
      throw order === 0
        ? new BencodeError('BENCODE_DUPLICATE_KEY', 'duplicate dictionary key', pos)
        : new BencodeError('BENCODE_UNSORTED_KEYS', 'dictionary keys out of order', pos)
    }
  }
  return keyStart
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
  // Past 19 digits (with no leading zero) nothing fits 64 bits: refuse before building a bigint, so
  // a megabyte of digits costs one linear scan.
  if (digits > INT64_DIGITS) {
    throw new BencodeError('BENCODE_INTEGER_OVERFLOW', 'integer outside the signed 64-bit range', start)
  }
  let text = ''
  for (let i = digitsStart; i < pos; i++) text += String.fromCharCode(bytes[i]!)
  const big = negative ? -BigInt(text) : BigInt(text)
  if (big < INT64_MIN || big > INT64_MAX) {
    throw new BencodeError('BENCODE_INTEGER_OVERFLOW', 'integer outside the signed 64-bit range', start)
  }
  return big >= MIN_SAFE && big <= MAX_SAFE ? Number(big) : big
}

/** Reads a limit option: a non-negative integer or `Infinity`. */
function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || (!Number.isInteger(value) && value !== Infinity)) {
    throw new BencodeError(
      'BENCODE_INVALID_INPUT',
      `expected ${name} to be a non-negative integer, got ${String(value)}`,
    )
  }
  return value
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
