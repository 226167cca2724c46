import { createHash } from 'node:crypto'
import { ipToBytes } from '@p2p/peer-address'
import { readU32 } from './bytes.js'

/**
 * The canonical allowed-fast set of BEP 6 for the peer at IPv4 address `ip`: `k` distinct piece
 * indices derived from SHA-1 chains over the peer's /24 network and the info hash. BEP 6 has no
 * provision for IPv6; an IPv6 address (other than IPv4-mapped) uses its first 3 bytes the same way.
 *
 * @example
 * ```ts
 * allowedFastSet('80.4.4.200', infoHash, 1313, 7) // [1059, 431, 808, 1217, 287, 376, 1188] for infohash aa..aa
 * ```
 * @throws {RangeError} when the info hash is not 20 bytes or `pieceCount` is not positive.
 */
export function allowedFastSet(ip: string, infoHash: Uint8Array, pieceCount: number, k: number): number[] {
  if (infoHash.length !== 20) throw new RangeError(`expected a 20-byte info hash, got ${infoHash.length}`)
  if (!Number.isInteger(pieceCount) || pieceCount <= 0) {
    throw new RangeError(`expected a positive piece count, got ${pieceCount}`)
  }
  let addr = ipToBytes(ip)
  if (
    addr.length === 16 &&
    addr.subarray(0, 10).every((b) => b === 0) &&
    addr[10] === 0xff &&
    addr[11] === 0xff
  ) {
    addr = addr.subarray(12)
  }
  const want = Math.min(k, pieceCount)
  let x: Uint8Array = new Uint8Array(24)
  // Step (1): the most significant three octets of the address (0xFFFFFF00 & ip).
  x.set(addr.subarray(0, 3), 0)
  x.set(infoHash, 4)
  const set: number[] = []
  while (set.length < want) {
    x = createHash('sha1').update(x).digest()
    for (let i = 0; i < 5 && set.length < want; i++) {
      const index = readU32(x, i * 4) % pieceCount
      if (!set.includes(index)) set.push(index)
    }
  }
  return set
}
