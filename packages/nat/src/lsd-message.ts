import { NatError } from './errors.js'

/** The IPv4 LSD multicast group (BEP 14, org-local). */
export const LSD_IPV4_GROUP = '239.192.152.143'
/** The IPv6 LSD multicast group (BEP 14, site-local). */
export const LSD_IPV6_GROUP = 'ff15::efc0:988f'
/** The LSD port. */
export const LSD_PORT = 6771
/** Largest announce we send (BEP 14: stay under 1400 bytes to avoid fragmentation). */
export const LSD_MAX_DATAGRAM = 1400
/** Most info hashes we accept in one announce (a 1400-byte datagram holds about 25). */
const MAX_INFO_HASHES = 32
const MAX_HEADERS = 48
const MAX_COOKIE = 64

/** A parsed LSD announce. */
export interface LsdAnnounce {
  /** The `Host` header (the group it was sent to). */
  host: string
  /** The sender's BitTorrent port. */
  port: number
  /** Info hashes announced, lower-case hex (40 characters; a v2 hash is announced truncated). */
  infoHashes: string[]
  /** The sender's cookie, if any. */
  cookie: string | undefined
}

/** What to announce. */
export interface LsdAnnounceInput {
  /** `4` or `6`: which group's `Host` header to write. */
  family: 4 | 6
  /** Our BitTorrent port. */
  port: number
  /** Info hashes, 40 hex characters each (a hybrid torrent's v1 hash and truncated v2 hash). */
  infoHashes: readonly string[]
  /** Our cookie, to recognise our own announces. */
  cookie: string
}

const HEX40 = /^[0-9a-fA-F]{40}$/

function head(input: LsdAnnounceInput): string {
  const host = input.family === 4 ? `${LSD_IPV4_GROUP}:${LSD_PORT}` : `[${LSD_IPV6_GROUP}]:${LSD_PORT}`
  return `BT-SEARCH * HTTP/1.1\r\nHost: ${host}\r\nPort: ${input.port}\r\n`
}

/**
 * Encodes announces for `infoHashes`, as many per datagram as fit in 1400 bytes (BEP 14 allows several
 * consecutive `Infohash` headers).
 *
 * @throws {NatError} `NAT_INVALID_ARGUMENT` for a bad port, hash or cookie.
 * @example
 * ```ts
 * encodeLsdAnnounces({ family: 4, port: 6881, infoHashes: [hex], cookie: 'p2p1a2b' })
 * ```
 */
export function encodeLsdAnnounces(input: LsdAnnounceInput): Uint8Array[] {
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
    throw new NatError('NAT_INVALID_ARGUMENT', `expected a port 1..65535, got ${input.port}`)
  }
  if (!/^[\w.-]{1,64}$/.test(input.cookie)) throw new NatError('NAT_INVALID_ARGUMENT', 'bad LSD cookie')
  for (const h of input.infoHashes) {
    if (!HEX40.test(h))
      throw new NatError('NAT_INVALID_ARGUMENT', `expected 40 hex characters, got ${h.slice(0, 50)}`)
  }
  const start = head(input)
  const tail = `cookie: ${input.cookie}\r\n\r\n\r\n`
  const out: Uint8Array[] = []
  let lines: string[] = []
  const flush = () => {
    if (lines.length > 0) out.push(new TextEncoder().encode(start + lines.join('') + tail))
    lines = []
  }
  for (const h of input.infoHashes) {
    const line = `Infohash: ${h.toLowerCase()}\r\n`
    if (start.length + (lines.length + 1) * line.length + tail.length > LSD_MAX_DATAGRAM) flush()
    lines.push(line)
  }
  flush()
  return out
}

function bad(message: string): NatError {
  return new NatError('LSD_BAD_ANNOUNCE', message)
}

/**
 * Parses an LSD announce strictly: the `BT-SEARCH * HTTP/1.1` request line, a decimal `Port`, one or more
 * 40-hex-digit `Infohash` headers, an optional `cookie`; unknown headers are ignored, sizes are bounded.
 *
 * @throws {NatError} `LSD_BAD_ANNOUNCE`.
 */
export function parseLsdAnnounce(datagram: Uint8Array): LsdAnnounce {
  if (datagram.length > 2 * LSD_MAX_DATAGRAM) throw bad(`announce of ${datagram.length} bytes`)
  const text = new TextDecoder('latin1').decode(datagram)
  const lines = text.split(/\r?\n/)
  if (lines[0] !== 'BT-SEARCH * HTTP/1.1') throw bad('not a BT-SEARCH request')
  let host = ''
  let port: number | undefined
  let cookie: string | undefined
  const infoHashes: string[] = []
  let i = 1
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (i > MAX_HEADERS) throw bad(`more than ${MAX_HEADERS} headers`)
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) throw bad(`bad header line ${JSON.stringify(line.slice(0, 40))}`)
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'host') host = value.slice(0, 64)
    else if (name === 'port') {
      if (port !== undefined || !/^[0-9]{1,5}$/.test(value))
        throw bad(`bad Port ${JSON.stringify(value.slice(0, 10))}`)
      port = Number(value)
    } else if (name === 'infohash') {
      if (!HEX40.test(value)) throw bad(`bad Infohash ${JSON.stringify(value.slice(0, 50))}`)
      if (infoHashes.length >= MAX_INFO_HASHES) throw bad(`more than ${MAX_INFO_HASHES} info hashes`)
      const h = value.toLowerCase()
      if (!infoHashes.includes(h)) infoHashes.push(h)
    } else if (name === 'cookie') {
      if (value.length > MAX_COOKIE) throw bad('cookie too long')
      cookie = value
    }
  }
  if (i >= lines.length) throw bad('headers not terminated')
  if (port === undefined || port < 1 || port > 65535) throw bad('missing or bad Port')
  if (infoHashes.length === 0) throw bad('no Infohash')
  return { host, port, infoHashes, cookie }
}
