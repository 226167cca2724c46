import { createSocket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { NatError } from './errors.js'

/** Retransmission of NAT-PMP/PCP requests: first wait, doubling each time (RFC 6886 3.1: 250 ms). */
export interface RetryOptions {
  /** First wait for a reply, ms. Default 250. */
  initialTimeoutMs?: number
  /** Sends before giving up (RFC 6886 allows 9; default 4, about 3.75 s in all). */
  attempts?: number
  /** Aborts the exchange. */
  signal?: AbortSignal
}

/** The outcome of one request/reply exchange. */
export interface UdpExchangeResult<T> {
  /** The decoded reply. */
  reply: T
  /** Our local address on the socket that reached the server (PCP needs it as the client IP). */
  localAddress: string
}

/**
 * Sends `request(localAddress)` to `host:port` over a fresh connected UDP socket, resending with
 * doubling waits until `decode` accepts a reply. Replies `decode` rejects with `NAT_BAD_REPLY`
 * (stray, spoofed or for another request) are ignored; any other error ends the exchange.
 *
 * @throws {NatError} `NAT_TIMEOUT` after the last attempt, `NAT_CLOSED` when aborted, or what `decode` throws.
 */
export async function udpExchange<T>(
  host: string,
  port: number,
  request: (localAddress: string) => Uint8Array,
  decode: (reply: Uint8Array) => T,
  options: RetryOptions = {},
): Promise<UdpExchangeResult<T>> {
  const { signal } = options
  if (signal?.aborted) throw new NatError('NAT_CLOSED', 'aborted')
  const attempts = options.attempts ?? 4
  const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4')
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await new Promise<UdpExchangeResult<T>>((resolve, reject) => {
      let localAddress = ''
      let sent = 0
      let wait = options.initialTimeoutMs ?? 250
      onAbort = () => reject(new NatError('NAT_CLOSED', 'aborted'))
      signal?.addEventListener('abort', onAbort, { once: true })
      sock.on('error', (err) => reject(new NatError('NAT_TIMEOUT', `UDP ${host}:${port}: ${err.message}`)))
      sock.on('message', (msg) => {
        try {
          resolve({ reply: decode(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)), localAddress })
        } catch (err) {
          if (!(err instanceof NatError && err.code === 'NAT_BAD_REPLY')) reject(err)
        }
      })
      const send = () => {
        if (sent++ >= attempts) {
          reject(new NatError('NAT_TIMEOUT', `no reply from ${host}:${port} after ${attempts} attempts`))
          return
        }
        sock.send(request(localAddress))
        timer = setTimeout(send, wait)
        wait *= 2
      }
      sock.connect(port, host, () => {
        localAddress = sock.address().address
        send()
      })
    })
  } finally {
    clearTimeout(timer)
    if (onAbort) signal?.removeEventListener('abort', onAbort)
    sock.close()
  }
}
