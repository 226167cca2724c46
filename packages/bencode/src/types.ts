/**
 * A decoded bencode value: integers are `number` when safe and `bigint` beyond 2^53, byte strings are
 * `Uint8Array` views into the input, lists are arrays and dictionaries are {@link BencodeDict}.
 */
export type BencodeValue = number | bigint | Uint8Array | BencodeList | BencodeDict

/** A decoded bencode list. */
export type BencodeList = BencodeValue[]

/**
 * A decoded bencode dictionary. Keys are the UTF-8 text of the raw key bytes; the object has no
 * prototype chain, so keys such as `__proto__` or `constructor` are ordinary data.
 */
export interface BencodeDict {
  [key: string]: BencodeValue
}

/**
 * What {@link encode} accepts: integers (`number` or `bigint`), strings (written as UTF-8),
 * byte arrays, arrays, plain objects and `Map`s (keys sorted by raw bytes on output).
 * `undefined` values inside objects and maps are skipped, which makes optional fields easy.
 */
export type Encodable =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Encodable[]
  | { readonly [key: string]: Encodable | undefined }
  | ReadonlyMap<string | Uint8Array, Encodable | undefined>
