import { randomInt } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { TrackerClientError } from './errors.js'
import { DEFAULT_MAX_RESPONSE_BYTES } from './params.js'
import { networkErrorCode, type RequestScope } from './request-scope.js'
import type { UdpRetransmitOptions } from './types.js'
import { decodeConnect, encodeConnect } from './udp-protocol.js'

/** How long a client may use a connection id after receiving it (BEP 15: one minute). */
export const CONNECTION_ID_LIFETIME_MS = 60_000
/** First retransmission timeout (BEP 15: 15 * 2^n seconds). */
export const UDP_RETRANSMIT_BASE_MS = 15_000
/** Largest n in 15 * 2^n (BEP 15: 8, i.e. 3840 s). */
export const UDP_RETRANSMIT_MAX_EXPONENT = 8

interface Pending {
  address: string
  port: number
  /** Called with each datagram that carries this transaction id from the tracker's address. */
  deliver: (msg: Buffer) => void
  /** Ends the wait with an error (the transport is closing). */
  fail: (err: TrackerClientError) => void
}

interface Endpoint {
  socket: Socket
  family: 4 | 6
  /** Connection ids by tracker `address|port`, valid for this socket only. */
  connections: Map<string, { id: bigint; expires: number }>
  idleTimer: ReturnType<typeof setTimeout> | undefined
  /** Requests using this socket now. */
  active: number
}

/** What one UDP exchange needs: the tracker address and how to build the request around a connection id. */
export interface UdpExchange<T> {
  url: string
  hostname: string
  port: number
  build: (connectionId: bigint, transactionId: number) => Buffer
  parse: (msg: Buffer, family: 4 | 6) => T
  scope: RequestScope
  retransmit?: UdpRetransmitOptions | undefined
  maxResponseBytes?: number | undefined
}

let runRequest: <T>(transport: UdpTransport, x: UdpExchange<T>) => Promise<T>

/** Runs one UDP tracker exchange on `transport` (kept off the class's public surface). */
export function udpRequest<T>(transport: UdpTransport, x: UdpExchange<T>): Promise<T> {
  return runRequest(transport, x)
}

/**
 * UDP tracker transport (BEP 15): one unconnected socket per address family, shared by every request
 * of the process; responses are routed by transaction id and source address. Connection ids are cached
 * per tracker for one minute; the socket closes after a minute without requests, taking its cache with it.
 */
export class UdpTransport {
  readonly #endpoints = new Map<4 | 6, Endpoint>()
  readonly #pending = new Map<number, Pending>()

  static {
    runRequest = (transport, x) => transport.#request(x)
  }

  /** Runs one request: connect if no fresh connection id is cached, then send and retransmit until answered. */
  async #request<T>(x: UdpExchange<T>): Promise<T> {
    const { address, family } = await x.scope.race(resolve(x.hostname, x.url))
    const endpoint = await x.scope.race(this.#endpoint(family))
    const key = `${address}|${x.port}`
    const base = x.retransmit?.baseMs ?? UDP_RETRANSMIT_BASE_MS
    const maxExp = x.retransmit?.maxExponent ?? UDP_RETRANSMIT_MAX_EXPONENT
    const maxBytes = x.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    const attempt = { n: 0 }
    const wait = () => base * 2 ** Math.min(attempt.n++, maxExp)
    let retriedStale = false
    this.#hold(endpoint)
    try {
      for (;;) {
        let conn = endpoint.connections.get(key)
        const cached = conn !== undefined && conn.expires > Date.now()
        if (!cached || conn === undefined) {
          const id = await this.#roundTrip(
            endpoint,
            address,
            x,
            encodeConnect,
            wait,
            maxBytes,
            () => false,
            (m) => decodeConnect(m, x.url),
          )
          if (typeof id !== 'bigint') continue
          // BEP 15's "announce times out" example: n starts again from 0 after an answer, and keeps
          // growing across the re-connects that follow timeouts (t = 2, 17, 47, then connect at 107, 227).
          attempt.n = 0
          conn = { id, expires: Date.now() + CONNECTION_ID_LIFETIME_MS }
          endpoint.connections.set(key, conn)
        }
        const connectionId = conn!.id
        // Retransmit until answered, unless the connection id expires meanwhile (then connect again).
        const result = await this.#roundTrip(
          endpoint,
          address,
          x,
          (txid) => x.build(connectionId, txid),
          wait,
          maxBytes,
          () => endpoint.connections.get(key) !== conn || conn!.expires <= Date.now(),
          (m) => x.parse(m, family),
        ).catch((err: unknown) => {
          // A cached id the tracker no longer accepts (it restarted): forget it and connect once more.
          if (cached && !retriedStale && (err as TrackerClientError).code === 'TRACKER_FAILURE_REASON') {
            retriedStale = true
            endpoint.connections.delete(key)
            return STALE
          }
          throw err
        })
        if (result === STALE || result === EXPIRED) continue
        return result as T
      }
    } finally {
      this.#release(endpoint)
    }
  }

  /** Closes the sockets now; requests still waiting fail with `TRACKER_ABORTED`. */
  close(): void {
    for (const pending of this.#pending.values()) pending.fail(closedError(undefined))
    for (const e of this.#endpoints.values()) this.#closeEndpoint(e)
  }

  /**
   * Sends a packet with a fresh transaction id and waits; on a timeout resends it (same transaction id,
   * so a late answer still counts) after 15 * 2^n s. Returns EXPIRED when `expired()` turns true.
   */
  async #roundTrip<T>(
    endpoint: Endpoint,
    address: string,
    x: UdpExchange<unknown>,
    build: (txid: number) => Buffer,
    wait: () => number,
    maxBytes: number,
    expired: () => boolean,
    parse: (msg: Buffer) => T,
  ): Promise<T | typeof EXPIRED> {
    const txid = this.#transactionId()
    const packet = build(txid)
    let answer: ((msg: Buffer | undefined) => void) | undefined
    let answered: Buffer | undefined
    let failed: TrackerClientError | undefined
    this.#pending.set(txid, {
      address,
      port: x.port,
      deliver: (msg) => {
        answered = msg
        answer?.(msg)
      },
      fail: (err) => {
        failed = err
        answer?.(undefined)
      },
    })
    try {
      for (;;) {
        if (failed) throw failed
        if (expired()) return EXPIRED
        x.scope.check()
        try {
          endpoint.socket.send(packet, x.port, address)
        } catch (cause) {
          // Only a socket closed under us throws here; late send errors go to the 'error' listener.
          throw closedError(x.url, cause)
        }
        const ms = wait()
        const msg =
          answered ??
          (await x.scope.race(
            new Promise<Buffer | undefined>((resolve) => {
              const signal = x.scope.signal
              const done = (m: Buffer | undefined) => {
                clearTimeout(timer)
                signal.removeEventListener('abort', onAbort)
                resolve(m)
              }
              const onAbort = () => done(undefined)
              const timer = setTimeout(() => done(undefined), ms)
              signal.addEventListener('abort', onAbort, { once: true })
              answer = done
            }),
          ))
        if (failed) throw failed
        if (msg === undefined) continue
        if (msg.length > maxBytes) {
          throw new TrackerClientError(
            'TRACKER_RESPONSE_TOO_LARGE',
            `UDP response exceeds ${maxBytes} bytes`,
            {
              url: x.url,
            },
          )
        }
        return parse(msg)
      }
    } finally {
      this.#pending.delete(txid)
    }
  }

  #transactionId(): number {
    for (;;) {
      const id = randomInt(0, 0xffffffff)
      if (!this.#pending.has(id)) return id
    }
  }

  async #endpoint(family: 4 | 6): Promise<Endpoint> {
    const existing = this.#endpoints.get(family)
    if (existing) return existing
    const socket = createSocket({ type: family === 4 ? 'udp4' : 'udp6' })
    const endpoint: Endpoint = { socket, family, connections: new Map(), idleTimer: undefined, active: 0 }
    this.#endpoints.set(family, endpoint)
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address, rinfo.port))
    // Send errors on an unconnected socket concern one datagram: the retransmission logic covers them.
    socket.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(0, () => {
        socket.off('error', reject)
        resolve()
      })
    }).catch((cause: unknown) => {
      this.#closeEndpoint(endpoint)
      throw new TrackerClientError('TRACKER_REFUSED', `cannot open a UDP socket: ${String(cause)}`, { cause })
    })
    socket.unref()
    return endpoint
  }

  #onMessage(msg: Buffer, address: string, port: number): void {
    if (msg.length < 8) return
    const pending = this.#pending.get(msg.readUInt32BE(4))
    if (!pending || pending.port !== port || pending.address !== address) return
    pending.deliver(msg)
  }

  #hold(endpoint: Endpoint): void {
    endpoint.active++
    if (endpoint.idleTimer !== undefined) clearTimeout(endpoint.idleTimer)
    endpoint.idleTimer = undefined
  }

  #release(endpoint: Endpoint): void {
    endpoint.active--
    if (endpoint.active > 0 || this.#endpoints.get(endpoint.family) !== endpoint) return
    endpoint.idleTimer = setTimeout(() => this.#closeEndpoint(endpoint), CONNECTION_ID_LIFETIME_MS)
    endpoint.idleTimer.unref?.()
  }

  #closeEndpoint(endpoint: Endpoint): void {
    if (endpoint.idleTimer !== undefined) clearTimeout(endpoint.idleTimer)
    if (this.#endpoints.get(endpoint.family) === endpoint) this.#endpoints.delete(endpoint.family)
    endpoint.connections.clear()
    try {
      endpoint.socket.close()
    } catch {}
  }
}

function closedError(url: string | undefined, cause?: unknown): TrackerClientError {
  return new TrackerClientError('TRACKER_ABORTED', 'the UDP transport was closed', { url, cause })
}

const STALE = Symbol('stale connection id')
const EXPIRED = Symbol('connection id expired')

async function resolve(hostname: string, url: string): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  try {
    // Loaded on first use (a client without UDP trackers does not carry node's DNS module).
    const { lookup } = await import('node:dns/promises')
    const { address, family } = await lookup(host)
    return { address, family: family === 6 ? 6 : 4 }
  } catch (cause) {
    throw new TrackerClientError(networkErrorCode(cause), `cannot resolve ${host}`, { url, cause })
  }
}

/** The transport {@link announce} and {@link scrape} use unless given another. */
export const defaultUdpTransport = new UdpTransport()
