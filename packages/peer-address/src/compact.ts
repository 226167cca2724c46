import { PeerAddressError } from './errors.js'
import { bytesToIp, type IpFamily, ipToBytes } from './ip.js'

/** A peer's transport address. `host` is an IPv4 or IPv6 string (no brackets). */
export interface PeerAddress {
  host: string
  port: number
}

/** Bytes per compact entry: 4 address + 2 port (BEP 23), 16 + 2 for IPv6 (BEP 7). */
export const COMPACT_V4_LENGTH = 6
/** Bytes per compact IPv6 entry (BEP 7). */
export const COMPACT_V6_LENGTH = 18

/**
 * Encodes peers as a compact string: 6 bytes each for IPv4 (BEP 23), 18 bytes each for IPv6 (BEP 7).
 * Peers of the other family are skipped, so one call per family splits a mixed list.
 *
 * @example
 * ```ts
 * encodeCompactPeers([{ host: '127.0.0.1', port: 6881 }], 4) // 7f 00 00 01 1a e1
 * ```
 * @throws {PeerAddressError} on an invalid address or port.
 */
export function encodeCompactPeers(peers: readonly PeerAddress[], family: IpFamily): Uint8Array {
  const size = family === 4 ? COMPACT_V4_LENGTH : COMPACT_V6_LENGTH
  const out = new Uint8Array(peers.length * size)
  let p = 0
  for (const peer of peers) {
    const ip = ipToBytes(peer.host)
    if (ip.length !== size - 2) continue
    assertPort(peer.port)
    out.set(ip, p)
    out[p + size - 2] = peer.port >> 8
    out[p + size - 1] = peer.port & 0xff
    p += size
  }
  return out.subarray(0, p)
}

/**
 * Decodes a compact peer string (BEP 23 for IPv4, BEP 7 `peers6` for IPv6). Entries with port 0
 * are dropped (no one can connect to them).
 *
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_COMPACT` when the length is not a multiple of 6 / 18.
 */
export function decodeCompactPeers(bytes: Uint8Array, family: IpFamily): PeerAddress[] {
  const size = family === 4 ? COMPACT_V4_LENGTH : COMPACT_V6_LENGTH
  if (bytes.length % size !== 0) {
    throw new PeerAddressError(
      'PEER_ADDRESS_INVALID_COMPACT',
      `compact IPv${family} peers must be a multiple of ${size} bytes, got ${bytes.length}`,
    )
  }
  const peers: PeerAddress[] = []
  for (let p = 0; p < bytes.length; p += size) {
    const port = (bytes[p + size - 2]! << 8) | bytes[p + size - 1]!
    if (port === 0) continue
    peers.push({ host: bytesToIp(bytes.subarray(p, p + size - 2)), port })
  }
  return peers
}

/**
 * Formats a peer as `host:port`, bracketing IPv6 (`[::1]:6881`).
 */
export function formatPeer(peer: PeerAddress): string {
  return peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`
}

/**
 * Whether `host` is a DNS name we would resolve: at most 253 characters, labels of 1 to 63 letters,
 * digits and hyphens, the last one not all digits (`999.999.999.999` is a bad IPv4 address, not a name).
 */
function isHostname(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  if (name.length === 0 || name.length > 253) return false
  const labels = name.split('.')
  return labels.every((l) => /^[a-zA-Z0-9-]{1,63}$/.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!)
}

/**
 * Parses `host:port` or `[v6]:port` into a {@link PeerAddress}. The host may be a name
 * (`localhost:6881`, at most 253 characters, labels of at most 63); it is returned as given, IP
 * literals are normalised.
 *
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_FORMAT` or `PEER_ADDRESS_INVALID_PORT`.
 */
export function parsePeer(text: string): PeerAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text)
  if (!m)
    throw new PeerAddressError(
      'PEER_ADDRESS_INVALID_FORMAT',
      `expected host:port, got ${JSON.stringify(text)}`,
    )
  const port = Number(m[2])
  assertPort(port)
  let host = m[1]!
  try {
    host = bytesToIp(ipToBytes(host))
  } catch {
    if (text.startsWith('[') || !isHostname(host)) {
      throw new PeerAddressError('PEER_ADDRESS_INVALID_FORMAT', `invalid host in ${JSON.stringify(text)}`)
    }
  }
  return { host, port }
}

/**
 * Checks a TCP/UDP port is an integer in 1..65535.
 * @throws {PeerAddressError} `PEER_ADDRESS_INVALID_PORT`.
 */
export function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PeerAddressError('PEER_ADDRESS_INVALID_PORT', `expected a port in 1..65535, got ${port}`)
  }
}
