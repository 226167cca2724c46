import { NatError } from './errors.js'

/** The SSDP multicast group and port (UPnP Device Architecture 1.1, 1.3.2). */
export const SSDP_ADDRESS = '239.255.255.250'
/** The SSDP port. */
export const SSDP_PORT = 1900
/** Device types searched for: IGD v2 first, then v1. */
export const IGD_DEVICE_TYPES = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
] as const

const MAX_REPLY = 2048
const MAX_HEADERS = 32

/**
 * An SSDP `M-SEARCH` request for `searchTarget`, `mx` seconds of allowed answer delay.
 *
 * @example
 * ```ts
 * sock.send(encodeMSearch(IGD_DEVICE_TYPES[1]), SSDP_PORT, SSDP_ADDRESS)
 * ```
 */
export function encodeMSearch(searchTarget: string, mx = 2): Uint8Array {
  return new TextEncoder().encode(
    `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\nST: ${searchTarget}\r\n\r\n`,
  )
}

/** What an SSDP search reply says: where the device description is, and what was found. */
export interface SsdpReply {
  /** The `LOCATION` header: URL of the device description. */
  location: string
  /** The `ST` header (search target matched). */
  searchTarget: string
}

/**
 * Parses an SSDP reply (`HTTP/1.1 200 OK` with `LOCATION` and `ST`), bounded in size and header count.
 * Only an `http:` location is accepted.
 *
 * @throws {NatError} `NAT_BAD_REPLY` for anything else.
 */
export function parseSsdpReply(datagram: Uint8Array): SsdpReply {
  if (datagram.length > MAX_REPLY)
    throw new NatError('NAT_BAD_REPLY', `SSDP reply of ${datagram.length} bytes`)
  const lines = new TextDecoder().decode(datagram).split('\r\n')
  if (!/^HTTP\/1\.[01] 200\b/.test(lines[0] ?? ''))
    throw new NatError('NAT_BAD_REPLY', 'not an SSDP 200 reply')
  const headers = new Map<string, string>()
  for (const line of lines.slice(1, 1 + MAX_HEADERS)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const location = headers.get('location')
  const searchTarget = headers.get('st') ?? ''
  if (!location) throw new NatError('NAT_BAD_REPLY', 'SSDP reply without LOCATION')
  let url: URL
  try {
    url = new URL(location)
  } catch {
    throw new NatError('NAT_BAD_REPLY', `bad SSDP LOCATION ${JSON.stringify(location.slice(0, 100))}`)
  }
  if (url.protocol !== 'http:')
    throw new NatError('NAT_BAD_REPLY', `SSDP LOCATION is not http: ${url.protocol}`)
  return { location: url.href, searchTarget }
}
