import { createServer, type Server, type Socket } from 'node:net'
import type { HttpRequest, Respond } from './http.js'

/** Limits of {@link createHttpServer}. */
export interface HttpServerLimits {
  /** Most bytes of a request head (request line + headers). */
  maxHeaderBytes: number
  /** Time from the first byte of a request to the end of its head, ms (slow-loris bound). */
  headersTimeout: number
  /** Idle time allowed between keep-alive requests, ms. */
  keepAliveTimeout: number
  /** Simultaneous connections. */
  maxConnections: number
}

/** A tracker's HTTP server: the net server plus a way to close its connections. */
export interface HttpServer {
  server: Server
  /** Closes idle connections now and busy ones after `graceMs`; resolves when the server is closed. */
  close(graceMs: number): Promise<void>
}

const STATUS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
}
const HEAD_END = Buffer.from('\r\n\r\n')

interface Conn {
  /** The server that accepted it. */
  owner: Connections
  socket: Socket
  /** Bytes received and not yet parsed. */
  pending: Buffer | undefined
  /** A request is being answered (pipelined requests wait). */
  busy: boolean
  /** The request being answered is a HEAD. */
  headOnly: boolean
  /** Close after the current response. */
  closeAfter: boolean
  /** When the running timeout fires (ms since the epoch); 0 = none. */
  deadline: number
  /** `head`: a request head is arriving (not reset by more bytes); `idle`: between keep-alive requests. */
  timerKind: 'head' | 'idle'
  /** Answers the current request (one function per connection, not per request). */
  respond: Respond
}

/** The connection state a socket carries. */
const CONN = Symbol('conn')
type ConnSocket = Socket & { [CONN]: Conn }

/** The request line: `METHOD SP target SP HTTP/1.x`; undefined when malformed. */
function requestLine(line: string): { method: string; url: string; minor: number } | undefined {
  const sp1 = line.indexOf(' ')
  if (sp1 < 1 || sp1 > 16) return undefined
  for (let i = 0; i < sp1; i++) {
    const c = line.charCodeAt(i)
    if (c < 0x41 || c > 0x5a) return undefined
  }
  const sp2 = line.length - 9
  if (sp2 <= sp1 + 1 || line.charCodeAt(sp2) !== 0x20 || !line.startsWith('HTTP/1.', sp2 + 1))
    return undefined
  const minor = line.charCodeAt(line.length - 1) - 0x30
  if (minor !== 0 && minor !== 1) return undefined
  const url = line.slice(sp1 + 1, sp2)
  for (let i = 0; i < url.length; i++) if (url.charCodeAt(i) <= 0x20) return undefined
  return { method: line.slice(0, sp1), url, minor }
}

/** The value of a header in a lower-cased head (from the first line break on), or undefined. */
function header(lower: string, from: number, name: string): string | undefined {
  const at = lower.indexOf(`\r\n${name}:`, from)
  if (at < 0) return undefined
  let v = at + name.length + 3
  while (lower.charCodeAt(v) === 0x20 || lower.charCodeAt(v) === 0x09) v++
  const end = lower.indexOf('\r\n', v)
  return lower.slice(v, end < 0 ? lower.length : end)
}

/**
 * A minimal HTTP/1.1 server for tracker requests: GET/HEAD without bodies, keep-alive and pipelining,
 * one write per response. Request heads are bounded in size and time; anything else (bodies, bad
 * request lines, oversized heads) is answered with a 4xx and the connection closed. Trackers only
 * see short GETs, and skipping the generic machinery of `node:http` (and, per connection, its timers
 * and closures: one sweep enforces every timeout) cuts the cost of each to a fraction.
 */
export function createHttpServer(
  handler: (req: HttpRequest, respond: Respond) => void,
  limits: HttpServerLimits,
  onBadRequest: (status: number) => void,
): HttpServer {
  return new Connections(handler, limits, onBadRequest)
}

/** The server and its connections; the socket listeners are shared, each socket carries its {@link Conn}. */
class Connections implements HttpServer {
  readonly server: Server
  readonly #conns = new Set<Conn>()
  readonly #handler: (req: HttpRequest, respond: Respond) => void
  readonly #limits: HttpServerLimits
  readonly #onBadRequest: (status: number) => void
  readonly #sweepMs: number
  #closing = false
  #sweeper: NodeJS.Timeout | undefined

  constructor(
    handler: (req: HttpRequest, respond: Respond) => void,
    limits: HttpServerLimits,
    onBadRequest: (status: number) => void,
  ) {
    this.#handler = handler
    this.#limits = limits
    this.#onBadRequest = onBadRequest
    this.#sweepMs = Math.max(
      20,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeout, limits.keepAliveTimeout) / 4)),
    )
    // No setNoDelay: every response is one write, so Nagle never holds anything back.
    this.server = createServer((socket) => this.#accept(socket))
    this.server.maxConnections = limits.maxConnections
  }

  close(graceMs: number): Promise<void> {
    this.#closing = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    for (const c of this.#conns) if (!c.busy) c.socket.destroy()
    const timer = setTimeout(() => {
      for (const c of this.#conns) c.socket.destroy()
    }, graceMs)
    return closed.finally(() => {
      clearTimeout(timer)
      if (this.#sweeper !== undefined) clearInterval(this.#sweeper)
    })
  }

  #accept(socket: Socket): void {
    if (this.#closing) return void socket.destroy()
    const c: Conn = {
      owner: this,
      socket,
      pending: undefined,
      busy: false,
      headOnly: false,
      closeAfter: false,
      deadline: 0,
      timerKind: 'head',
      respond: (status, body, type = 'text/plain') => this.#respond(c, status, body, type),
    }
    ;(socket as ConnSocket)[CONN] = c
    this.#conns.add(c)
    arm(c, this.#limits.headersTimeout, 'head')
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => this.#sweep(), this.#sweepMs)
      this.#sweeper.unref()
    }
    socket.on('data', Connections.#onData)
    socket.on('error', Connections.#onError)
    socket.on('close', Connections.#onClose)
  }

  // Socket listeners shared by every connection (`this` is the socket).
  static readonly #onData = function (this: ConnSocket, chunk: Buffer): void {
    const c = this[CONN]
    c.owner.#received(c, chunk)
  }
  static readonly #onError = function (this: ConnSocket): void {
    this.destroy()
  }
  static readonly #onClose = function (this: ConnSocket): void {
    const c = this[CONN]
    c.owner.#conns.delete(c)
  }

  /** Times out heads that take too long (408) and idle keep-alive connections. */
  #sweep(): void {
    const now = Date.now()
    for (const c of this.#conns) {
      if (c.deadline === 0 || c.deadline > now) continue
      c.deadline = 0
      if (c.timerKind === 'head') this.#fail(c, 408)
      else c.socket.destroy()
    }
  }

  #received(c: Conn, chunk: Buffer): void {
    if (c.closeAfter) return
    c.pending = c.pending ? Buffer.concat([c.pending, chunk]) : chunk
    if (c.pending.length > this.#limits.maxHeaderBytes * 4) return this.#fail(c, 431) // pipelined flood
    if (!c.busy) {
      if (c.timerKind === 'idle') c.deadline = 0
      this.#drain(c)
    }
  }

  /** Parses and answers every complete request head in `c.pending`, one at a time. */
  #drain(c: Conn): void {
    while (!c.busy && c.pending && !c.socket.destroyed && !c.closeAfter) {
      const buf = c.pending
      const end = buf.indexOf(HEAD_END)
      if (end < 0) {
        if (buf.length > this.#limits.maxHeaderBytes) return this.#fail(c, 431)
        if (c.deadline === 0) arm(c, this.#limits.headersTimeout, 'head')
        return
      }
      if (end > this.#limits.maxHeaderBytes) return this.#fail(c, 431)
      const head = buf.toString('latin1', 0, end)
      c.pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined
      c.deadline = 0
      this.#request(c, head)
    }
  }

  /** Hands the request of `head` to the handler, or answers a bad one with a 4xx. */
  #request(c: Conn, head: string): void {
    const lineEnd = head.indexOf('\r\n')
    const r = requestLine(lineEnd < 0 ? head : head.slice(0, lineEnd))
    if (!r) return this.#fail(c, 400)
    let connection: string | undefined
    if (lineEnd >= 0) {
      const lower = head.toLowerCase()
      const length = header(lower, lineEnd, 'content-length')
      if (
        (length !== undefined && length.charCodeAt(0) >= 0x31 && length.charCodeAt(0) <= 0x39) ||
        header(lower, lineEnd, 'transfer-encoding') !== undefined
      ) {
        // Tracker requests have no body; refusing one keeps the stream in sync.
        return this.#fail(c, r.method === 'GET' || r.method === 'HEAD' ? 400 : 405)
      }
      connection = header(lower, lineEnd, 'connection')
    }
    c.closeAfter = r.minor === 0 ? !connection?.includes('keep-alive') : !!connection?.includes('close')
    c.busy = true
    c.headOnly = r.method === 'HEAD'
    this.#handler({ method: r.method, url: r.url, remoteAddress: c.socket.remoteAddress ?? '' }, c.respond)
  }

  /** The handler's answer to the current request; the next pipelined one follows. */
  #respond(c: Conn, status: number, body: Uint8Array | string, type: string): void {
    if (!c.busy) return // answered already
    this.#write(c, status, body, type)
    c.busy = false
    if (!c.closeAfter && !this.#closing) {
      if (c.pending) this.#drain(c)
      else arm(c, this.#limits.keepAliveTimeout, 'idle')
    }
  }

  #write(c: Conn, status: number, body: Uint8Array | string, type: string): void {
    const socket = c.socket
    if (socket.destroyed) return
    const payload = typeof body === 'string' ? Buffer.from(body) : body
    const close = c.closeAfter || this.#closing
    const head =
      `HTTP/1.1 ${status} ${STATUS[status] ?? 'OK'}\r\nContent-Type: ${type}\r\nContent-Length: ${payload.length}\r\n` +
      (close ? 'Connection: close\r\n\r\n' : '\r\n')
    const out = Buffer.allocUnsafe(head.length + (c.headOnly ? 0 : payload.length))
    out.write(head, 0, 'latin1')
    if (!c.headOnly) out.set(payload, head.length)
    if (close) {
      // Close once the answer is handed to the kernel, without waiting for the client's FIN; a client
      // that never reads it is cut by the sweep after the keep-alive timeout.
      socket.end(out, () => socket.destroy())
      arm(c, this.#limits.keepAliveTimeout, 'idle')
    } else socket.write(out)
  }

  /** Answers `status` with an empty body and closes the connection. */
  #fail(c: Conn, status: number): void {
    this.#onBadRequest(status)
    c.closeAfter = true
    c.pending = undefined
    c.deadline = 0
    c.headOnly = false
    this.#write(c, status, '', 'text/plain')
  }
}

/** Starts `c`'s timeout: `ms` from now. */
function arm(c: Conn, ms: number, kind: 'head' | 'idle'): void {
  c.timerKind = kind
  c.deadline = Date.now() + ms
}
