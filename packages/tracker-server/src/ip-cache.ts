import { normalizeIp } from '@p2p/peer-address'

/** Source addresses remembered by {@link sourceIp}. */
const SIZE = 16_384
let cache = new Map<string, string>()

/**
 * The normalised form of a socket's remote address (IPv4-mapped IPv6 as IPv4, canonical IPv6), cached:
 * the same clients announce again and again.
 *
 * @throws {PeerAddressError} when `address` is not an IP.
 */
export function sourceIp(address: string): string {
  let ip = cache.get(address)
  if (ip === undefined) {
    ip = normalizeIp(address)
    if (cache.size >= SIZE) cache = new Map()
    cache.set(address, ip)
  }
  return ip
}
