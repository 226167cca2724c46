/**
 * Stable error codes of `@p2p/bencode`. Codes are public API: changing one is a breaking change.
 */
export type BencodeErrorCode =
  /** The input ended inside a value. */
  | 'BENCODE_UNEXPECTED_END'
  /** A byte that cannot start or continue a value at this position. */
  | 'BENCODE_UNEXPECTED_BYTE'
  /** An integer that is empty, has a leading zero, is `-0`, or holds a non-digit. */
  | 'BENCODE_INVALID_INTEGER'
  /** An integer outside the signed 64-bit range. */
  | 'BENCODE_INTEGER_OVERFLOW'
  /** A string length prefix that is malformed or points past the end of the input. */
  | 'BENCODE_INVALID_LENGTH'
  /** Bytes left after the root value. */
  | 'BENCODE_TRAILING_DATA'
  /** Dictionary keys not in ascending raw-byte order (strict mode). */
  | 'BENCODE_UNSORTED_KEYS'
  /** The same dictionary key twice (strict mode). */
  | 'BENCODE_DUPLICATE_KEY'
  /** A dictionary key that is not a byte string. */
  | 'BENCODE_KEY_NOT_STRING'
  /** Nesting deeper than `maxDepth`. */
  | 'BENCODE_DEPTH_EXCEEDED'
  /** More values than `maxTokens`. */
  | 'BENCODE_TOKEN_LIMIT'
  /** `encode` was given a value bencode cannot represent (a float, `undefined`, a function, a cycle...). */
  | 'BENCODE_UNSUPPORTED_VALUE'
  /** `decode` was given something other than a `Uint8Array`. */
  | 'BENCODE_INVALID_INPUT'

/**
 * The one error class of `@p2p/bencode`: every rejection carries a stable {@link BencodeErrorCode}
 * and, when decoding, the byte offset where the problem was found.
 *
 * @example
 * ```ts
 * try { decode(bytes) } catch (err) {
 *   if (err instanceof BencodeError && err.code === 'BENCODE_UNEXPECTED_END') retryLater()
 * }
 * ```
 */
export class BencodeError extends Error {
  /** Stable machine-readable error code. */
  readonly code: BencodeErrorCode
  /** Byte offset in the input where decoding failed, or -1 for encode errors. */
  readonly offset: number

  constructor(code: BencodeErrorCode, message: string, offset = -1) {
    super(offset >= 0 ? `${message} at byte ${offset}` : message)
    this.name = 'BencodeError'
    this.code = code
    this.offset = offset
  }
}
