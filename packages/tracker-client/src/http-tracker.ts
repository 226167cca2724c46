import type { IncomingMessage } from 'node:http'
import { toHex } from '@p2p/bytes'
import { TrackerClientError } from './errors.js'
import { parseAnnounceBody, parseScrapeBody } from './http-response.js'
import { byteCount, DEFAULT_MAX_PEERS, DEFAULT_MAX_RESPONSE_BYTES } from './params.js'
import { networkErrorCode, type RequestScope } from './request-scope.js'
import { percentEncodeBytes, scrapeUrl, withQuery } from './tracker-url.js'
import type { AnnounceParams, AnnounceResponse, RequestOptions, ScrapeResponse } from './types.js'

/** Default number of HTTP redirects followed. */
export const DEFAULT_MAX_REDIRECTS = 3

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const USER_AGENT = '@p2p/tracker-client'

/** Builds the announce GET URL (BEP 3 keys, BEP 23 `compact=1`, BEP 7 `key`, `trackerid`). */
export function httpAnnounceUrl(url: URL, params: AnnounceParams): string {
  const pairs: [string, string][] = [
    ['info_hash', percentEncodeBytes(params.infoHash)],
    ['peer_id', percentEncodeBytes(params.peerId)],
    ['port', String(params.port)],
    ['uploaded', String(byteCount(params.uploaded, 'uploaded'))],
    ['downloaded', String(byteCount(params.downloaded, 'downloaded'))],
    ['left', String(byteCount(params.left, 'left'))],
    ['compact', '1'],
  ]
  if (params.event !== undefined && params.event !== 'none') pairs.push(['event', params.event])
  if (params.numwant !== undefined) pairs.push(['numwant', String(params.numwant)])
  if (params.key !== undefined) pairs.push(['key', params.key.toString(16).padStart(8, '0')])
  if (params.trackerId !== undefined) pairs.push(['trackerid', encodeURIComponent(params.trackerId)])
  return withQuery(url, pairs)
}

/** One HTTP(S) announce. */
export async function httpAnnounce(
  url: URL,
  params: AnnounceParams,
  options: RequestOptions,
  scope: RequestScope,
): Promise<AnnounceResponse> {
  const { body, finalUrl } = await httpGet(httpAnnounceUrl(url, params), options, scope)
  return parseAnnounceBody(body, finalUrl, options.maxPeers ?? DEFAULT_MAX_PEERS)
}

/** One HTTP(S) scrape of up to a batch of info hashes (BEP 48). */
export async function httpScrape(
  url: URL,
  infoHashes: readonly Uint8Array[],
  options: RequestOptions,
  scope: RequestScope,
): Promise<ScrapeResponse> {
  const target = new URL(scrapeUrl(url))
  const full = withQuery(
    target,
    infoHashes.map((h) => ['info_hash', percentEncodeBytes(h)] as const),
  )
  const { body, finalUrl } = await httpGet(full, options, scope)
  return parseScrapeBody(body, finalUrl, new Set(infoHashes.map(toHex)))
}

/**
 * GETs `url` with a bounded body, following a bounded number of redirects to http(s) URLs. A non-2xx
 * status is still parsed (trackers put `failure reason` in 4xx bodies); the caller sees the status only
 * when the body is not bencode.
 */
async function httpGet(
  url: string,
  options: RequestOptions,
  scope: RequestScope,
): Promise<{ body: Uint8Array; finalUrl: string }> {
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  let current = url
  for (let hop = 0; ; hop++) {
    const res = await scope.race(openResponse(current, scope, options))
    const status = res.statusCode ?? 0
    if (REDIRECTS.has(status)) {
      res.destroy()
      if (hop >= (options.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) {
        throw new TrackerClientError('TRACKER_REDIRECT', `too many redirects (more than ${hop})`, { url })
      }
      current = redirectTarget(current, res.headers.location)
      continue
    }
    const body = await scope.race(readBody(res, maxBytes, current))
    if (status < 200 || status > 299) {
      // A bencoded failure reason wins over the bare status.
      try {
        parseFailureOnly(body, current)
      } catch (err) {
        if ((err as TrackerClientError).code === 'TRACKER_FAILURE_REASON') throw err
      }
      throw new TrackerClientError('TRACKER_HTTP_STATUS', `tracker answered HTTP ${status}`, {
        url: current,
        status,
      })
    }
    return { body, finalUrl: current }
  }
}

function parseFailureOnly(body: Uint8Array, url: string): void {
  parseAnnounceBody(body, url, 0)
}

function redirectTarget(from: string, location: string | undefined): string {
  if (!location) {
    throw new TrackerClientError('TRACKER_REDIRECT', 'redirect without a Location header', { url: from })
  }
  let next: URL
  try {
    next = new URL(location, from)
  } catch (cause) {
    throw new TrackerClientError('TRACKER_REDIRECT', `bad redirect location ${JSON.stringify(location)}`, {
      url: from,
      cause,
    })
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new TrackerClientError('TRACKER_REDIRECT', `cannot follow a redirect to ${next.protocol}`, {
      url: from,
    })
  }
  return next.href
}

async function openResponse(
  url: string,
  scope: RequestScope,
  options: RequestOptions,
): Promise<IncomingMessage> {
  // Loaded on first use: a client that never announces over HTTP(S) (a download from given peers)
  // does not carry node's HTTP and TLS modules (about 1 MiB of RSS for https alone).
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http')
  return new Promise((resolve, reject) => {
    const tls = url.startsWith('https:') ? options.tls : undefined
    // agent: false: one connection per announce, nothing left open between announces.
    const req = request(url, {
      ...(tls?.ca !== undefined ? { ca: tls.ca as string | Buffer | (string | Buffer)[] } : {}),
      ...(tls?.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
      method: 'GET',
      agent: false,
      headers: { 'user-agent': USER_AGENT, 'accept-encoding': 'identity', connection: 'close' },
      signal: scope.signal,
    })
    req.once('response', resolve)
    req.once('error', (err) => {
      if (scope.signal.aborted) reject(scope.signal.reason)
      else
        reject(
          new TrackerClientError(networkErrorCode(err), `cannot reach tracker: ${err.message}`, {
            url,
            cause: err,
          }),
        )
    })
    req.end()
  })
}

function readBody(res: IncomingMessage, maxBytes: number, url: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new TrackerClientError('TRACKER_RESPONSE_TOO_LARGE', `tracker response exceeds ${maxBytes} bytes`, {
        url,
      })
    const declared = Number(res.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.destroy()
      reject(tooLarge())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    res.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        res.destroy()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    })
    res.once('end', () => resolve(new Uint8Array(Buffer.concat(chunks, size))))
    res.once('error', (err) =>
      reject(
        new TrackerClientError('TRACKER_BAD_RESPONSE', `tracker response cut short: ${err.message}`, {
          url,
          cause: err,
        }),
      ),
    )
    res.once('close', () => {
      if (!res.complete) {
        reject(new TrackerClientError('TRACKER_BAD_RESPONSE', 'tracker response cut short', { url }))
      }
    })
  })
}
