import { type BencodeDict, type BencodeValue, type RawEntry, rawEntries as rawEntriesOf } from '@p2p/bencode'

const text = new TextDecoder('utf-8')

/** @internal Whether `v` is a decoded dictionary. */
export function isDict(v: unknown): v is BencodeDict {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v)
}

/** @internal `d[key]` if it is a byte string. */
export function str(d: BencodeDict, key: string): Uint8Array | undefined {
  const v = d[key]
  return v instanceof Uint8Array ? v : undefined
}

/** @internal `d[key]` if it is an integer (a bigint as ±Infinity), else `fallback`. */
export function int(d: BencodeDict, key: string, fallback: number): number {
  const v = d[key]
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return v > 0n ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY
  return fallback
}

/** @internal `d[key]` if it is a list. */
export function list(d: BencodeDict, key: string): BencodeValue[] | undefined {
  const v = d[key]
  return Array.isArray(v) ? v : undefined
}

/** @internal The BEP 47 `attr` string of a file entry. */
export function attrOf(d: BencodeDict): string | undefined {
  const a = str(d, 'attr')
  return a ? text.decode(a) : undefined
}

/**
 * @internal A dictionary's entries in file order with raw key bytes (binary keys such as pieces roots are
 * lossy as object keys; with `strict: false` duplicate keys each keep their own value, as in
 * libtorrent's `dict_at`). Every dictionary here was decoded with spans.
 */
export function rawEntries(dict: BencodeDict): readonly RawEntry[] {
  return rawEntriesOf(dict) ?? []
}
