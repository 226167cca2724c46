/** Big-endian unsigned 32-bit integer at `offset` of `b`. @internal */
export const readU32 = (b: Uint8Array, offset: number): number =>
  ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0

/** Whether two byte arrays hold the same bytes. @internal */
export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** Lower-case hex of `b`. @internal */
export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
