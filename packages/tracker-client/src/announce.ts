import { TrackerClientError } from './errors.js'
import { httpAnnounce, httpScrape } from './http-tracker.js'
import { checkAnnounceParams, checkHash, DEFAULT_MAX_PEERS, DEFAULT_TIMEOUT_MS } from './params.js'
import { withScope } from './request-scope.js'
import { parseTrackerUrl } from './tracker-url.js'
import type { AnnounceParams, AnnounceResponse, RequestOptions, ScrapeResponse } from './types.js'
import { decodeAnnounce, decodeScrape, encodeAnnounce, encodeScrape, UDP_MAX_SCRAPE } from './udp-protocol.js'
import { defaultUdpTransport, type UdpTransport, udpRequest } from './udp-transport.js'

/** Options of {@link announce} and {@link scrape}, with the UDP transport to use. */
export interface OneShotOptions extends RequestOptions {
  /** The UDP transport (socket and connection-id cache). Default: one shared by the process. */
  udpTransport?: UdpTransport
}

/**
 * Announces once to an HTTP, HTTPS or UDP tracker and returns its answer.
 *
 * @example
 * ```ts
 * import { announce } from '@p2p/tracker-client'
 * import { generatePeerId } from '@p2p/peer-address'
 * const res = await announce('udp://127.0.0.1:6969/announce', {
 *   infoHash, peerId: generatePeerId(), port: 6881, left: 1000, event: 'started',
 * }, { timeout: 10_000 })
 * console.log(res.interval, res.peers)
 * ```
 * @throws {TrackerClientError} with a code for every failure: `TRACKER_INVALID_URL`, `TRACKER_INVALID_PARAMS`,
 * `TRACKER_TIMEOUT`, `TRACKER_REFUSED`, `TRACKER_DNS`, `TRACKER_BAD_RESPONSE`, `TRACKER_RESPONSE_TOO_LARGE`,
 * `TRACKER_HTTP_STATUS`, `TRACKER_REDIRECT`, `TRACKER_FAILURE_REASON`, `TRACKER_ABORTED`.
 */
export async function announce(
  url: string | URL,
  params: AnnounceParams,
  options: OneShotOptions = {},
): Promise<AnnounceResponse> {
  const target = parseTrackerUrl(url)
  checkAnnounceParams(params)
  const href = target.url.href
  return withScope(href, scopeOptions(options), (scope) => {
    if (target.protocol !== 'udp') return httpAnnounce(target.url, params, options, scope)
    const urlData = udpUrlData(target.url, options)
    return udpRequest(options.udpTransport ?? defaultUdpTransport, {
      url: href,
      hostname: target.url.hostname,
      port: Number(target.url.port),
      build: (connectionId, txid) => encodeAnnounce(connectionId, txid, params, urlData),
      parse: (msg, family) => decodeAnnounce(msg, family, href, options.maxPeers ?? DEFAULT_MAX_PEERS),
      scope,
      retransmit: options.udpRetransmit,
      maxResponseBytes: options.maxResponseBytes,
    })
  })
}

/**
 * Scrapes swarm numbers for one or more info hashes: HTTP(S) on the BEP 48 scrape URL derived from the
 * announce URL, or UDP (BEP 15). Long lists are sent in batches of {@link UDP_MAX_SCRAPE}; the `timeout`
 * applies to the whole call.
 *
 * @example
 * ```ts
 * const { files } = await scrape('http://127.0.0.1:6969/announce', [infoHash])
 * files.get(hex)?.complete // seeders
 * ```
 * @throws {TrackerClientError} as {@link announce}, plus `TRACKER_SCRAPE_UNSUPPORTED` when an HTTP URL has
 * no scrape counterpart.
 */
export async function scrape(
  url: string | URL,
  infoHashes: readonly Uint8Array[],
  options: OneShotOptions = {},
): Promise<ScrapeResponse> {
  const target = parseTrackerUrl(url)
  if (infoHashes.length === 0) {
    throw new TrackerClientError('TRACKER_INVALID_PARAMS', 'expected at least one info hash to scrape')
  }
  for (const h of infoHashes) checkHash(h, 'info hash')
  const href = target.url.href
  return withScope(href, scopeOptions(options), async (scope) => {
    const files = new Map<string, import('./types.js').ScrapeStats>()
    for (let i = 0; i < infoHashes.length; i += UDP_MAX_SCRAPE) {
      const batch = infoHashes.slice(i, i + UDP_MAX_SCRAPE)
      const res =
        target.protocol !== 'udp'
          ? await httpScrape(target.url, batch, options, scope)
          : await udpRequest(options.udpTransport ?? defaultUdpTransport, {
              url: href,
              hostname: target.url.hostname,
              port: Number(target.url.port),
              build: (connectionId, txid) => encodeScrape(connectionId, txid, batch),
              parse: (msg) => decodeScrape(msg, batch, href),
              scope,
              retransmit: options.udpRetransmit,
              maxResponseBytes: options.maxResponseBytes,
            })
      for (const [k, v] of res.files) files.set(k, v)
    }
    return { files }
  })
}

function scopeOptions(options: RequestOptions): { signal?: AbortSignal; timeout: number } {
  return { signal: options.signal, timeout: options.timeout ?? DEFAULT_TIMEOUT_MS }
}

/** The BEP 41 URLData of a UDP URL: its path and query, unless there is nothing beyond `/`. */
function udpUrlData(url: URL, options: RequestOptions): string | undefined {
  if (options.udpUrlData === false) return undefined
  const data = `${url.pathname}${url.search}`
  return data === '' || data === '/' ? undefined : data
}
