import { SwarmError } from './errors.js'
import type { HttpFetch } from './runtime.js'

/** Longest wait a web seed's `Retry-After` may ask for, ms (a longer one is cut to this). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000

/** A web seed answered with an HTTP status other than the range asked for (internal). */
export class WebSeedHttpError extends SwarmError {
  /** The HTTP status. */
  readonly status: number
  /** The server's `Retry-After`, ms, when it sent one (503, 429). */
  readonly retryAfter: number | undefined

  constructor(url: string, status: number, retryAfter: number | undefined) {
    super('SWARM_WEB_SEED', `web seed ${url} answered HTTP ${status}`)
    this.status = status
    this.retryAfter = retryAfter
  }
}

/** `Retry-After` in ms: seconds or an HTTP date (RFC 9110 section 10.2.3). */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined
}

/**
 * Fetches bytes `offset .. offset + into.length` of `url` into `into` with an HTTP range request made
 * with `fetch` (the runtime's: the global one, or a simulator's).
 * A `206` must start at `offset`; a `200` (a server without ranges) is taken only for a range at the
 * file's start, and only its first bytes are read. Never buffers more than `into` holds.
 * @throws {WebSeedHttpError} for another status; {@link SwarmError} `SWARM_WEB_SEED` for a short or long
 *   body or a bad `Content-Range`, `SWARM_ABORTED` when `signal` aborts (timeout or torrent closed)
 */
export async function fetchRange(
  url: string,
  offset: number,
  into: Uint8Array,
  signal: AbortSignal,
  fetch: HttpFetch,
  now: number,
): Promise<void> {
  const end = offset + into.length - 1
  let res: Response
  try {
    res = await fetch(url, { headers: { range: `bytes=${offset}-${end}` }, signal, redirect: 'follow' })
  } catch (err) {
    if (signal.aborted)
      throw new SwarmError('SWARM_ABORTED', `web seed ${url}: aborted`, { cause: signal.reason })
    throw new SwarmError('SWARM_WEB_SEED', `web seed ${url}: ${(err as Error).message}`, { cause: err })
  }
  const partial = res.status === 206
  if (!partial && !(res.status === 200 && offset === 0)) {
    void res.body?.cancel().catch(() => {})
    throw new WebSeedHttpError(url, res.status, retryAfterMs(res.headers.get('retry-after'), now))
  }
  const range = res.headers.get('content-range')
  if (partial && range && !range.startsWith(`bytes ${offset}-`)) {
    void res.body?.cancel().catch(() => {})
    throw new SwarmError('SWARM_WEB_SEED', `web seed ${url}: asked for ${offset}-${end}, got ${range}`)
  }
  let pos = 0
  const reader = res.body?.getReader()
  try {
    // A 206 is read to its end (the connection is then reused); a 200 only as far as needed.
    while (reader && (partial || pos < into.length)) {
      const { done, value } = await reader.read()
      if (done) break
      if (pos + value.length > into.length && partial)
        throw new SwarmError(
          'SWARM_WEB_SEED',
          `web seed ${url}: more bytes than the ${into.length} asked for`,
        )
      into.set(value.subarray(0, into.length - pos), pos)
      pos += Math.min(value.length, into.length - pos)
    }
  } catch (err) {
    if (err instanceof SwarmError) throw err
    if (signal.aborted)
      throw new SwarmError('SWARM_ABORTED', `web seed ${url}: aborted`, { cause: signal.reason })
    throw new SwarmError('SWARM_WEB_SEED', `web seed ${url}: ${(err as Error).message}`, { cause: err })
  } finally {
    void reader?.cancel().catch(() => {})
  }
  if (pos < into.length)
    throw new SwarmError('SWARM_WEB_SEED', `web seed ${url}: ${pos} bytes of the ${into.length} asked for`)
}
