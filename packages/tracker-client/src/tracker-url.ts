import { TrackerClientError } from './errors.js'

/** The protocols a tracker URL can use. */
export type TrackerProtocol = 'http' | 'https' | 'udp'

/**
 * Parses a tracker URL and checks it can be used: `http:`, `https:` or `udp:` (a UDP URL needs a port).
 *
 * @throws {TrackerClientError} `TRACKER_INVALID_URL`.
 */
export function parseTrackerUrl(url: string | URL): { url: URL; protocol: TrackerProtocol } {
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch (cause) {
    throw new TrackerClientError('TRACKER_INVALID_URL', `not a URL: ${JSON.stringify(String(url))}`, {
      url: String(url),
      cause,
    })
  }
  const protocol = parsed.protocol.slice(0, -1)
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'udp') {
    throw new TrackerClientError('TRACKER_INVALID_URL', `unsupported tracker scheme ${parsed.protocol}`, {
      url: parsed.href,
    })
  }
  if (parsed.hostname === '') {
    throw new TrackerClientError('TRACKER_INVALID_URL', 'tracker URL has no host', { url: parsed.href })
  }
  if (protocol === 'udp' && parsed.port === '') {
    throw new TrackerClientError('TRACKER_INVALID_URL', 'a UDP tracker URL needs a port', {
      url: parsed.href,
    })
  }
  parsed.hash = ''
  return { url: parsed, protocol }
}

/**
 * Derives the scrape URL of an announce URL (BEP 48): the last path segment must start with `announce`,
 * which is replaced by `scrape`; the query is kept. UDP URLs are returned unchanged (BEP 15 scrapes on
 * the same endpoint).
 *
 * @example
 * ```ts
 * scrapeUrl('http://t.example/x/announce.php?k=1') // 'http://t.example/x/scrape.php?k=1'
 * scrapeUrl('http://t.example/a')                   // throws TRACKER_SCRAPE_UNSUPPORTED
 * ```
 * @throws {TrackerClientError} `TRACKER_SCRAPE_UNSUPPORTED` or `TRACKER_INVALID_URL`.
 */
export function scrapeUrl(announceUrl: string | URL): string {
  const { url, protocol } = parseTrackerUrl(announceUrl)
  if (protocol === 'udp') return url.href
  const slash = url.pathname.lastIndexOf('/')
  const last = url.pathname.slice(slash + 1)
  if (!last.startsWith('announce')) {
    throw new TrackerClientError(
      'TRACKER_SCRAPE_UNSUPPORTED',
      `no scrape URL for ${url.href}: the last path segment does not start with "announce"`,
      { url: url.href },
    )
  }
  url.pathname = `${url.pathname.slice(0, slash + 1)}scrape${last.slice('announce'.length)}`
  return url.href
}

/** Characters a query value may hold as they are (RFC 3986 unreserved). */
function isUnreserved(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x2d || // -
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x7e // ~
  )
}

const HEX = '0123456789ABCDEF'

/**
 * Percent-encodes raw bytes for a query string, byte by byte (info hashes and peer ids are binary, not
 * UTF-8, so `encodeURIComponent` cannot be used).
 *
 * @example
 * ```ts
 * percentEncodeBytes(new Uint8Array([0x12, 0x41, 0xff])) // '%12A%FF'
 * ```
 */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) {
    out += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`
  }
  return out
}

/**
 * Appends `key=value` pairs (values already encoded) to a URL's existing query, keeping what the
 * announce URL already carries (passkeys and the like).
 */
export function withQuery(url: URL, pairs: readonly (readonly [string, string])[]): string {
  const extra = pairs.map(([k, v]) => `${k}=${v}`).join('&')
  const base = url.href.split('#')[0]!
  if (extra === '') return base
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'
  return `${base}${sep}${extra}`
}
