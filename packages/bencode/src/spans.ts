import type { BencodeValue } from './types.js'

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
const entries = new WeakMap<object, RawEntry[]>()

/** One `key value` pair of a dictionary as it was in the input: the key's raw bytes and the value. */
export type RawEntry = readonly [key: Uint8Array, value: BencodeValue]

/** @internal Records the span of a container or byte string decoded with `spans: true`. */
export function recordSpan(value: object, source: Uint8Array, start: number, end: number): void {
  spans.set(value, { source, start, end })
}

/** @internal Starts the (empty) entry list of a dictionary decoded with `spans: true`. */
export function recordDict(dict: object): void {
  entries.set(dict, [])
}

/** @internal Adds an entry to a dictionary started with {@link recordDict}. */
export function recordEntry(dict: object, key: Uint8Array, value: BencodeValue): void {
  entries.get(dict)?.push([key, value])
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

/**
 * The entries of a dictionary decoded with `{ spans: true }`, in input order, each with its key's
 * raw bytes. Use it for keys that are binary rather than text, such as the 32-byte pieces roots of
 * BEP 52 `piece layers`: the object view reads every key as UTF-8, so two such keys can read alike.
 * With `strict: false`, duplicate keys all appear here (the object keeps the last).
 *
 * @example
 * ```ts
 * const torrent = decode(bytes, { spans: true }) as BencodeDict
 * for (const [root, layer] of rawEntries(torrent['piece layers']) ?? []) use(root, layer)
 * ```
 * @returns the entries (key bytes are views into the input), or `undefined` for anything but a
 *   dictionary decoded with spans.
 */
export function rawEntries(dict: unknown): readonly RawEntry[] | undefined {
  return typeof dict === 'object' && dict !== null ? entries.get(dict) : undefined
}
