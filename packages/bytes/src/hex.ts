/**
 * Lower-case hex of `bytes` (a view of any offset; the bytes are not copied).
 *
 * @example
 * ```ts
 * toHex(Uint8Array.of(0, 171)) // '00ab'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
