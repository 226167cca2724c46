import { type Encodable, encode } from '@p2p/bencode'
import { normalizeIp } from '@p2p/peer-address'
import {
  type AnnounceRequest,
  checkInfoHash,
  checkPeerId,
  checkPort,
  normalizeKey,
  parseCount,
  parseEvent,
  refuse,
} from './announce-request.js'
import type { TrackerCore } from './core.js'
import { TrackerServerError } from './errors.js'
import { type AnnounceFields, parseAnnounceQuery, parseQuery } from './http-query.js'
import { sourceIp } from './ip-cache.js'
import {
  compactLists,
  isPromise,
  type ScrapeEntry,
  type StoreAnnounceResult,
  type SwarmCounts,
} from './peer-store.js'

/** Reads the fields of an HTTP announce (BEP 3, 7, 23). */
export function parseHttpAnnounce(f: AnnounceFields): AnnounceRequest & {
  compact: boolean
  noPeerId: boolean
  ip: string | undefined
  ipv6: string | undefined
} {
  const infoHash = checkInfoHash(f.info_hash)
  const peerId = checkPeerId(f.peer_id)
  const portText = f.port
  if (portText === undefined) refuse('TRACKER_SERVER_MISSING_FIELD', 'missing port')
  const portNumber = digits(portText, 5)
  if (portNumber < 0) {
    refuse(
      'TRACKER_SERVER_BAD_PORT',
      `port must be in 1..65535, got ${JSON.stringify(portText.slice(0, 16))}`,
    )
  }
  const port = checkPort(portNumber)
  let numwant: number | undefined
  if (f.numwant !== undefined && f.numwant !== '') {
    const n = digits(f.numwant, 7)
    numwant = n >= 0 ? Math.min(n, 1_000_000) : Number(bigMin(parseCount(f.numwant, 'numwant')!, 1_000_000n))
  }
  return {
    infoHash,
    peerId,
    port,
    left: count(f.left, 'left') ?? 1n,
    uploaded: count(f.uploaded, 'uploaded') ?? 0n,
    downloaded: count(f.downloaded, 'downloaded') ?? 0n,
    event: parseEvent(f.event),
    numwant,
    key: normalizeKey(f.key),
    compact: f.compact !== '0',
    noPeerId: f.no_peer_id === '1',
    ip: f.ip ?? f.ipv4,
    ipv6: f.ipv6,
  }
}

/** A short run of decimal digits as a number, or -1 when it is not one (empty, too long, other chars). */
function digits(text: string, max: number): number {
  if (text.length === 0 || text.length > max) return -1
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/** `left`, `uploaded`...: the common "0" without a parse, the rest through {@link parseCount}. */
function count(text: string | undefined, name: string): bigint | undefined {
  return text === '0' ? 0n : parseCount(text, name)
}

function bigMin(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

/** A bencoded `failure reason` answer. */
export function failureBody(reason: string, retryIn?: number): Uint8Array {
  return encode(
    retryIn === undefined ? { 'failure reason': reason } : { 'failure reason': reason, 'retry in': retryIn },
  )
}

/** The announce answer: compact (`peers` + `peers6`) or a list of dicts (BEP 3). */
export function announceBody(
  core: TrackerCore,
  result: StoreAnnounceResult,
  compact: boolean,
  noPeerId: boolean,
): Uint8Array {
  return compact ? compactAnnounceBody(core, result) : dictAnnounceBody(core, result, noPeerId)
}

/** `tracker id` and `warning message` entries, bencoded once per core. */
const tails = new WeakMap<TrackerCore, Buffer>()

/**
 * The compact announce answer, written straight into one buffer (the hot path): the same bytes as
 * `encode()` of the dictionary, keys in order.
 */
function compactAnnounceBody(core: TrackerCore, result: StoreAnnounceResult): Buffer {
  let tail = tails.get(core)
  if (!tail) {
    const id = Buffer.from(core.trackerId)
    let t = `10:tracker id${id.length}:${core.trackerId}`
    if (core.warning !== undefined)
      t += `15:warning message${Buffer.byteLength(core.warning)}:${core.warning}`
    tail = Buffer.from(`${t}e`)
    tails.set(core, tail)
  }
  const head =
    `d8:completei${result.complete}e10:downloadedi${result.downloaded}e10:incompletei${result.incomplete}e` +
    `8:intervali${core.interval}e12:min intervali${core.minInterval}e5:peers`
  const [c4, c6] = compactLists(result)
  const mid4 = `${c4.length}:`
  const mid6 = c6.length > 0 ? `6:peers6${c6.length}:` : ''
  const out = Buffer.allocUnsafe(
    head.length + mid4.length + c4.length + mid6.length + c6.length + tail.length,
  )
  let a = out.write(head, 0, 'latin1')
  a += out.write(mid4, a, 'latin1')
  out.set(c4, a)
  a += c4.length
  if (c6.length > 0) {
    a += out.write(mid6, a, 'latin1')
    out.set(c6, a)
    a += c6.length
  }
  tail.copy(out, a)
  return out
}

/** The BEP 3 dictionary answer (`compact=0`), with or without peer ids. */
function dictAnnounceBody(core: TrackerCore, result: StoreAnnounceResult, noPeerId: boolean): Uint8Array {
  const dict: Record<string, Encodable> = {
    complete: result.complete,
    downloaded: result.downloaded,
    incomplete: result.incomplete,
    interval: core.interval,
    'min interval': core.minInterval,
    'tracker id': core.trackerId,
  }
  if (core.warning !== undefined) dict['warning message'] = core.warning
  dict.peers = result.peers.map((p) =>
    noPeerId ? { ip: p.host, port: p.port } : { ip: p.host, 'peer id': p.peerId, port: p.port },
  )
  return encode(dict)
}

/** The BEP 48 scrape answer. */
export function scrapeBody(
  core: TrackerCore,
  hashes: readonly Buffer[],
  counts: readonly SwarmCounts[],
): Uint8Array {
  const files = new Map<Uint8Array, Encodable>()
  for (const [i, h] of hashes.entries()) {
    const c = counts[i]!
    files.set(h, { complete: c.complete, downloaded: c.downloaded, incomplete: c.incomplete })
  }
  return encode({ files, flags: { min_request_interval: core.minInterval } })
}

/** Writes one response: status, body and content type (default `text/plain`). */
export type Respond = (status: number, body: Uint8Array | string, type?: string) => void

/** One HTTP request as the transport hands it over. */
export interface HttpRequest {
  method: string
  /** Request target: path and query. */
  url: string
  /** The socket's remote address. */
  remoteAddress: string
}

/** What the HTTP handler needs besides the core: `/stats` and `/metrics` renderers. */
export interface HttpExtras {
  stats(): Promise<unknown>
  metrics(): Promise<{ contentType: string; body: string }>
}

/**
 * The request handler: `/announce`, `/scrape` (any path whose last segment starts with them, so
 * passkey paths work), `/stats` (JSON) and `/metrics` (Prometheus). Every refusal is a 200 with a
 * bencoded `failure reason`, as clients expect; nothing a client sends can throw out of it.
 */
export function createHttpHandler(core: TrackerCore, extras: HttpExtras) {
  return (req: HttpRequest, send: Respond): void => {
    let host: string
    try {
      host = sourceIp(req.remoteAddress)
    } catch {
      return send(400, failureBody('unknown client address'))
    }
    const url = req.url
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const last = path.slice(path.lastIndexOf('/') + 1)
    const isAnnounce = last.startsWith('announce')
    const isScrape = !isAnnounce && last.startsWith('scrape')
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(405, failureBody('only GET is supported'))
      }
      if (!isAnnounce && !isScrape) {
        if (path === '/stats') {
          extras.stats().then(
            (s) => send(200, JSON.stringify(s), 'application/json'),
            (err) =>
              send(503, JSON.stringify({ error: core.failure(err, 'http', host) }), 'application/json'),
          )
          return
        }
        if (path === '/metrics') {
          extras.metrics().then(
            (m) => send(200, m.body, m.contentType),
            (err) => send(503, core.failure(err, 'http', host)),
          )
          return
        }
        return send(404, failureBody('not found: use /announce or /scrape'))
      }
      if (!core.admit(host)) {
        throw new TrackerServerError('TRACKER_SERVER_RATE_LIMITED', 'too many requests, slow down')
      }
      const query = q < 0 ? '' : url.slice(q + 1)
      if (isAnnounce) announce(core, parseAnnounceQuery(query), host, send)
      else scrape(core, parseQuery(query), host, send)
    } catch (err) {
      const retry = (err as TrackerServerError).code === 'TRACKER_SERVER_RATE_LIMITED' ? 60 : undefined
      send(200, failureBody(core.failure(err, 'http', host), retry))
    }
  }
}

function announce(core: TrackerCore, query: AnnounceFields, source: string, send: Respond): void {
  const a = parseHttpAnnounce(query)
  let host = source
  if (core.trustIpParam) {
    const given = a.ipv6 ?? a.ip
    if (given !== undefined) {
      try {
        host = normalizeIp(given)
      } catch {
        refuse('TRACKER_SERVER_BAD_FIELD', 'ip is not an IP address')
      }
    }
  }
  const reply = (result: StoreAnnounceResult) => send(200, announceBody(core, result, a.compact, a.noPeerId))
  const result = core.announce(a, host, 'http', [4, 6], a.compact)
  if (isPromise(result)) {
    result.then(reply, (err) => send(200, failureBody(core.failure(err, 'http', source))))
  } else reply(result)
}

function scrape(core: TrackerCore, query: Map<string, Buffer[]>, host: string, send: Respond): void {
  const given = query.get('info_hash') ?? []
  if (given.length === 0) return fullScrape(core, host, send)
  if (given.length > core.maxScrapeHashes) {
    refuse('TRACKER_SERVER_BAD_SCRAPE', `at most ${core.maxScrapeHashes} info_hash values per scrape`)
  }
  for (const h of given) checkInfoHash(h)
  const unique = new Map(given.map((h) => [h.toString('hex'), h]))
  const hashes = [...unique.values()]
  const reply = (counts: SwarmCounts[]) => send(200, scrapeBody(core, hashes, counts))
  const result = core.scrape([...unique.keys()], host, 'http')
  if (isPromise(result)) {
    result.then(reply, (err) => send(200, failureBody(core.failure(err, 'http', host))))
  } else reply(result)
}

function fullScrape(core: TrackerCore, host: string, send: Respond): void {
  const cached = core.cachedFullScrape(host, 'http')
  if (cached !== undefined) return send(200, cached)
  const reply = (entries: ScrapeEntry[]) => {
    const body = scrapeBody(
      core,
      entries.map((e) => Buffer.from(e.infoHash, 'hex')),
      entries,
    )
    if (core.fullScrapeCacheMs > 0)
      core.fullScrapeCache = { body, expires: Date.now() + core.fullScrapeCacheMs }
    send(200, body)
  }
  const result = core.fullScrape(host, 'http')
  if (isPromise(result)) {
    result.then(reply, (err) => send(200, failureBody(core.failure(err, 'http', host))))
  } else reply(result)
}
