import { PeerAddressError } from './errors.js'

/** Address family of a peer: 4 or 6. */
export type IpFamily = 4 | 6

/**
 * Parses an IPv4 (`1.2.3.4`) or IPv6 (`::1`, `2001:db8::1`, `::ffff:1.2.3.4`, with or without
 * brackets and a `%zone`) address into its 4 or 16 network-order bytes.
 *
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_IP`.
 */
export function ipToBytes(ip: string): Uint8Array {
  const v4 = parseIPv4(ip)
  if (v4) return v4
  const v6 = parseIPv6(ip)
  if (v6) return v6
  throw new PeerAddressError(
    'PEER_ADDRESS_INVALID_IP',
    `expected an IPv4 or IPv6 address, got ${JSON.stringify(ip)}`,
  )
}

/**
 * Formats 4 or 16 network-order bytes as an IP string (IPv6 in RFC 5952 canonical form).
 *
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_IP` for any other length.
 */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`
  if (bytes.length !== 16) {
    throw new PeerAddressError(
      'PEER_ADDRESS_INVALID_IP',
      `expected 4 or 16 address bytes, got ${bytes.length}`,
    )
  }
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!)
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}

/**
 * The family of an IP string, or 0 when it is not an IP address.
 */
export function ipFamily(ip: string): IpFamily | 0 {
  if (parseIPv4(ip)) return 4
  if (parseIPv6(ip)) return 6
  return 0
}

/**
 * Normalises an address: strips brackets and zone, canonicalises IPv6, and turns IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, as dual-stack sockets report IPv4 clients) into plain IPv4.
 *
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_IP`.
 */
export function normalizeIp(ip: string): string {
  const bytes = ipToBytes(ip)
  if (bytes.length === 16 && isV4Mapped(bytes)) return bytesToIp(bytes.subarray(12))
  return bytesToIp(bytes)
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

function parseIPv4(ip: string): Uint8Array | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    out[i] = n
  }
  return out
}

function parseIPv6(input: string): Uint8Array | undefined {
  let ip = input
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  const zone = ip.indexOf('%')
  if (zone >= 0) ip = ip.slice(0, zone)
  if (ip.length < 2 || ip.length > 45) return undefined
  const out = new Uint8Array(16)
  // An embedded IPv4 tail takes the last two groups.
  let tail: Uint8Array | undefined
  const lastColon = ip.lastIndexOf(':')
  if (ip.indexOf('.', lastColon) >= 0) {
    tail = parseIPv4(ip.slice(lastColon + 1))
    if (!tail) return undefined
    ip = `${ip.slice(0, lastColon + 1)}0:0`
  }
  const halves = ip.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : []
  const total = head.length + rest.length
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined
  const groups = [...head, ...new Array<string>(8 - total).fill('0'), ...rest]
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
    const n = Number.parseInt(g, 16)
    out[i * 2] = n >> 8
    out[i * 2 + 1] = n & 0xff
  }
  if (tail) out.set(tail, 12)
  return out
}
