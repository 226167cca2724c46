import type { PeerAddress } from './compact.js'
import { ipToBytes } from './ip.js'

/** CRC32-C (Castagnoli) lookup table, reflected polynomial 0x82F63B78. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC32-C of `bytes`, as BEP 40 uses. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * BEP 40 canonical peer priority of a connection between `self` (our address as the peer sees it)
 * and `peer`: both ends compute the same 32-bit number, and higher-priority connections are kept
 * when over the connection limit.
 *
 * @example
 * ```ts
 * peerPriority({ host: '123.213.32.10', port: 1 }, { host: '98.76.54.32', port: 1 }) // 0xec2d7224
 * ```
 */
export function peerPriority(self: PeerAddress, peer: PeerAddress): number {
  const a = ipToBytes(self.host)
  const b = ipToBytes(peer.host)
  if (a.length !== b.length || equal(a, b)) {
    const ports = new Uint8Array(4)
    const [lo, hi] = self.port <= peer.port ? [self.port, peer.port] : [peer.port, self.port]
    ports[0] = lo >> 8
    ports[1] = lo & 0xff
    ports[2] = hi >> 8
    ports[3] = hi & 0xff
    return crc32c(ports)
  }
  const mask = priorityMask(a, b)
  const ma = a.map((x, i) => x & mask[i]!)
  const mb = b.map((x, i) => x & mask[i]!)
  const [first, second] = compare(ma, mb) <= 0 ? [ma, mb] : [mb, ma]
  const buf = new Uint8Array(first.length * 2)
  buf.set(first)
  buf.set(second, first.length)
  return crc32c(buf)
}

/**
 * The BEP 40 mask: FF over the network prefix (/16 for IPv4, /48 for IPv6) and 0x55 after it, except
 * that each byte following a run of bytes both addresses share is opened to FF (FF.FF.FF.55 for the
 * same /16, the whole address for the same /24).
 */
function priorityMask(a: Uint8Array, b: Uint8Array): Uint8Array {
  const prefix = a.length === 4 ? 2 : 6
  let shared = 0
  while (shared < a.length && a[shared] === b[shared]) shared++
  const mask = new Uint8Array(a.length).fill(0x55)
  mask.fill(0xff, 0, Math.max(prefix, Math.min(shared + 1, a.length)))
  return mask
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return compare(a, b) === 0
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}
