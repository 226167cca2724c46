const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Lenient = new TextDecoder('utf-8')

/**
 * Reads a decoded byte string as UTF-8 text.
 *
 * @example
 * ```ts
 * const dict = decode(bytes) as BencodeDict
 * toText(dict.name) // 'ubuntu.iso'
 * ```
 * @param value a byte string from {@link decode}.
 * @param fatal throw a `TypeError` on invalid UTF-8 instead of substituting U+FFFD. Default `false`.
 * @returns the text, or `undefined` when `value` is not a byte string.
 */
export function toText(value: unknown, fatal = false): string | undefined {
  if (!(value instanceof Uint8Array)) return undefined
  return (fatal ? utf8 : utf8Lenient).decode(value)
}
