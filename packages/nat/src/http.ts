import { NatError } from './errors.js'

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  /** Default GET. */
  method?: string
  /** Request headers. */
  headers?: Record<string, string>
  /** Request body. */
  body?: string
  /** Largest accepted response body; more is an error. Default 64 KiB. */
  maxBytes?: number
  /** Whole-request timeout. Default 5000 ms. */
  timeoutMs?: number
  /** Aborts the request. */
  signal?: AbortSignal
}

/** A response read in full. */
export interface HttpResponse {
  /** HTTP status code. */
  status: number
  /** The body as UTF-8 text. */
  body: string
  /** Our address on the connection (UPnP needs it as the mapping's internal client). */
  localAddress: string
}

const DEFAULT_MAX_BYTES = 64 * 1024

/**
 * A plain-HTTP request to a gateway with a size cap and a timeout; no redirects are followed.
 *
 * @throws {NatError} `NAT_HTTP` on a connection error, timeout or oversize body; `NAT_CLOSED` when aborted.
 */
export async function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  // Loaded on first use: a client that maps no port (the default) does not carry node:http (0.5 MiB).
  const { request } = await import('node:http')
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const { signal } = options
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new NatError('NAT_CLOSED', 'aborted'))
    const body = options.body === undefined ? undefined : Buffer.from(options.body)
    const headers = { ...options.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) }
    const fail = (err: NatError) => {
      req.destroy()
      reject(err)
    }
    const onAbort = () => fail(new NatError('NAT_CLOSED', 'aborted'))
    const timer = setTimeout(
      () => fail(new NatError('NAT_HTTP', `${url}: no answer within ${options.timeoutMs ?? 5000} ms`)),
      options.timeoutMs ?? 5000,
    )
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const req = request(url, { method: options.method ?? 'GET', headers, agent: false }, (res) => {
      const declared = Number(res.headers['content-length'])
      if (declared > maxBytes) return fail(new NatError('NAT_HTTP', `${url}: body of ${declared} bytes`))
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) fail(new NatError('NAT_HTTP', `${url}: body over ${maxBytes} bytes`))
        else chunks.push(chunk)
      })
      res.on('end', () => {
        done()
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          localAddress: req.socket?.localAddress ?? '',
        })
      })
      res.on('error', (err) => fail(new NatError('NAT_HTTP', `${url}: ${err.message}`)))
    })
    req.on('error', (err) => {
      done()
      reject(err instanceof NatError ? err : new NatError('NAT_HTTP', `${url}: ${err.message}`))
    })
    req.end(body)
  })
}
