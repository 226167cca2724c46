import { crc32c, ipToBytes } from '@p2p/peer-address'
import { isLocalAddress } from './address-class.js'
import { ID_LENGTH } from './node-id.js'

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff]
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff]

/** BEP 42: CRC32-C of the masked external address with `r` (0..7) in its top bits. */
function prefixCrc(ip: Uint8Array, r: number): number {
  const octets = ip.length === 4 ? 4 : 8
  const mask = octets === 4 ? V4_MASK : V6_MASK
  const masked = new Uint8Array(octets)
  for (let i = 0; i < octets; i++) masked[i] = ip[i]! & mask[i]!
  masked[0]! |= (r & 7) << 5
  return crc32c(masked)
}

/**
 * A BEP 42 node id for the external address `host`: the first 21 bits come from the CRC32-C of the
 * masked address, the last byte holds the random `r`, the rest is `random` (19 bytes or more).
 *
 * @example
 * ```ts
 * secureNodeId('124.31.75.21', randomBytes(20)) // 5fbfb?...
 * ```
 */
export function secureNodeId(host: string, random: Uint8Array): Uint8Array {
  const ip = ipToBytes(host)
  const rand = random[ID_LENGTH - 1]!
  const crc = prefixCrc(ip, rand & 7)
  const id = new Uint8Array(ID_LENGTH)
  id.set(random.subarray(0, ID_LENGTH))
  id[0] = (crc >>> 24) & 0xff
  id[1] = (crc >>> 16) & 0xff
  id[2] = ((crc >>> 8) & 0xf8) | (random[2]! & 0x7)
  id[19] = rand
  return id
}

/** Whether `id` satisfies BEP 42 for the address `host` (its first 21 bits and last byte). */
export function isSecureNodeId(id: Uint8Array, host: string): boolean {
  const crc = prefixCrc(ipToBytes(host), id[ID_LENGTH - 1]! & 7)
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    (id[2]! & 0xf8) === ((crc >>> 8) & 0xf8)
  )
}

/** Whether a node at `host` claiming `id` passes BEP 42 (local and private addresses are exempt). */
export function nodeIdAcceptable(id: Uint8Array, host: string): boolean {
  return isLocalAddress(host) || isSecureNodeId(id, host)
}
