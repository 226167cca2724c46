/**
 * Strict, iterative, zero-copy bencode (BEP 3).
 *
 * @example
 * ```ts
 * import { decode, encode, toText } from '@p2p/bencode'
 * const bytes = encode({ announce: 'http://tracker/announce', info: { length: 5, name: 'a.txt' } })
 * const torrent = decode(bytes, { spans: true })
 * ```
 * @packageDocumentation
 */
export {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_TOKENS,
  type DecodedPrefix,
  type DecodeOptions,
  decode,
  decodePrefix,
} from './decode.js'
export { encode } from './encode.js'
export { BencodeError, type BencodeErrorCode } from './errors.js'
export { type RawEntry, type RawSpan, rawBytes, rawEntries, rawSpan } from './spans.js'
export { toText } from './text.js'
export type { BencodeDict, BencodeList, BencodeValue, Encodable } from './types.js'
