import { ipToBytes } from '@p2p/peer-address'

/**
 * Whether `host` is a loopback, private, link-local or unique-local address: BEP 42 exempts these
 * from node-id checks, as libtorrent's `is_local` does.
 */
export function isLocalAddress(host: string): boolean {
  const b = ipToBytes(host)
  if (b.length === 4) {
    return (
      b[0] === 10 ||
      b[0] === 127 ||
      (b[0] === 172 && (b[1]! & 0xf0) === 16) ||
      (b[0] === 192 && b[1] === 168) ||
      (b[0] === 169 && b[1] === 254)
    )
  }
  if (isV4Mapped(b)) return isLocalAddress(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`)
  const loopback = b.every((x, i) => x === (i === 15 ? 1 : 0))
  return loopback || (b[0]! & 0xfe) === 0xfc || (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80)
}

/**
 * Whether a datagram from `host:port` cannot be a real node: port 0, the unspecified address,
 * multicast or broadcast. Such sources are dropped without an answer (no reflection).
 */
export function isUnusableSource(host: string, port: number): boolean {
  if (port === 0) return true
  const b = ipToBytes(host)
  if (b.length === 4) return b[0] === 0 || b[0]! >= 224
  if (isV4Mapped(b)) return isUnusableSource(`${b[12]}.${b[13]}.${b[14]}.${b[15]}`, port)
  return b.every((x) => x === 0) || b[0] === 0xff
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
