import { SwarmError } from './errors.js'

/** Largest .torrent accepted from a URL, bytes (as `readTorrentFile`'s default bound). */
export const MAX_TORRENT_URL_BYTES = 80_000_000
/** Time allowed to fetch a .torrent from a URL, ms. */
export const TORRENT_URL_TIMEOUT_MS = 30_000

/** Whether `input` is an http(s) link (to a .torrent). */
export function isHttpUrl(input: string): boolean {
  return /^https?:\/\//i.test(input)
}

/**
 * Fetches the .torrent at an http(s) URL, reading at most `maxBytes` (the download stops there).
 * @throws {SwarmError} `SWARM_TORRENT_URL` for a network error, an HTTP status other than 200, a
 *   body over `maxBytes` or no answer within `timeoutMs`; `SWARM_ABORTED` when `signal` aborts
 */
export async function fetchTorrentFile(
  url: string,
  options: { maxBytes?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  options.signal?.throwIfAborted()
  const maxBytes = options.maxBytes ?? MAX_TORRENT_URL_BYTES
  const timeout = AbortSignal.timeout(options.timeoutMs ?? TORRENT_URL_TIMEOUT_MS)
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
  const fail = (message: string, cause?: unknown): SwarmError => {
    if (options.signal?.aborted) return new SwarmError('SWARM_ABORTED', `fetching ${url} aborted`, { cause })
    const why = timeout.aborted
      ? `no answer within ${options.timeoutMs ?? TORRENT_URL_TIMEOUT_MS} ms`
      : message
    return new SwarmError('SWARM_TORRENT_URL', `cannot fetch ${url}: ${why}`, { cause })
  }
  let res: Response
  try {
    res = await fetch(url, { signal, redirect: 'follow' })
  } catch (err) {
    throw fail((err as Error).message, err)
  }
  if (res.status !== 200) {
    void res.body?.cancel().catch(() => {})
    throw fail(`HTTP ${res.status}`)
  }
  const declared = Number(res.headers.get('content-length'))
  if (declared > maxBytes) {
    void res.body?.cancel().catch(() => {})
    throw fail(`${declared} bytes, more than the ${maxBytes} accepted`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body?.getReader()
  try {
    for (;;) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined }
      if (done) break
      size += value.length
      if (size > maxBytes) throw fail(`more than the ${maxBytes} bytes accepted`)
      chunks.push(value)
    }
  } catch (err) {
    throw err instanceof SwarmError ? err : fail((err as Error).message, err)
  } finally {
    void reader?.cancel().catch(() => {})
  }
  return Buffer.concat(chunks)
}
