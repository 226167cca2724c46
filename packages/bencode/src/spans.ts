/** Where a decoded value's encoding sits inside the input it was decoded from. */
export interface RawSpan {
  /** The input buffer given to `decode`. */
  readonly source: Uint8Array
  /** Offset of the value's first byte (`d`, `l`, `i` or the first length digit). */
  readonly start: number
  /** Offset one past the value's last byte. */
  readonly end: number
}

const spans = new WeakMap<object, RawSpan>()

/** @internal Records the span of a container or byte string decoded with `spans: true`. */
export function recordSpan(value: object, source: Uint8Array, start: number, end: number): void {
  spans.set(value, { source, start, end })
}

/**
 * The exact encoded bytes of a dictionary, list or byte string that was decoded with
 * `{ spans: true }`, as a view into the original input (no copy, no re-encoding).
 *
 * @example
 * ```ts
 * const torrent = decode(bytes, { spans: true }) as BencodeDict
 * const infoHash = createHash('sha1').update(rawBytes(torrent.info!)!).digest()
 * ```
 * @returns the bytes, or `undefined` when the value was not decoded with spans.
 */
export function rawBytes(value: unknown): Uint8Array | undefined {
  const span = rawSpan(value)
  return span ? span.source.subarray(span.start, span.end) : undefined
}

/**
 * The {@link RawSpan} of a dictionary, list or byte string decoded with `{ spans: true }`.
 * @returns the span, or `undefined` for primitives and values decoded without spans.
 */
export function rawSpan(value: unknown): RawSpan | undefined {
  return typeof value === 'object' && value !== null ? spans.get(value) : undefined
}
