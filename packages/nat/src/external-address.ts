import { ipFamily, ipToBytes, normalizeIp } from '@p2p/peer-address'
import { NatError } from './errors.js'

/** What we know of an external address a gateway reported. */
export interface ExternalAddress {
  /** The address, normalised. */
  address: string
  /** True for a private (RFC 1918), shared (RFC 6598 CGN) or link-local address: there is another NAT beyond. */
  private: boolean
}

/**
 * Checks an external address reported by a gateway. An address that cannot be anyone's external
 * address (unspecified, loopback, multicast, broadcast, class E, not an IP) is a lie and is rejected.
 *
 * @throws {NatError} `NAT_BAD_EXTERNAL_ADDRESS`.
 */
export function checkExternalAddress(reported: string): ExternalAddress {
  const family = ipFamily(reported)
  if (family === 0)
    throw new NatError('NAT_BAD_EXTERNAL_ADDRESS', `not an IP address: ${reported.slice(0, 60)}`)
  const address = normalizeIp(reported)
  const b = ipToBytes(address)
  const reject = (why: string) =>
    new NatError('NAT_BAD_EXTERNAL_ADDRESS', `external address ${address} is ${why}`)
  if (b.length === 4) {
    const [a, c] = [b[0]!, b[1]!]
    if (a === 0) throw reject('unspecified')
    if (a === 127) throw reject('loopback')
    if (a >= 224) throw reject('multicast or reserved')
    const isPrivate =
      a === 10 ||
      (a === 172 && c >= 16 && c < 32) ||
      (a === 192 && c === 168) ||
      (a === 100 && c >= 64 && c < 128)
    return { address, private: isPrivate || (a === 169 && c === 254) }
  }
  if (b.every((x) => x === 0)) throw reject('unspecified')
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) throw reject('loopback')
  if (b[0] === 0xff) throw reject('multicast')
  return { address, private: (b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) }
}
