/** Big-endian unsigned 32-bit integer at `offset` of `b`. @internal */
export const readU32 = (b: Uint8Array, offset: number): number =>
  ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0
