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
  const conns = new Set<Conn>()
  let closing = false
  let sweeper: NodeJS.Timeout | undefined
  const sweepMs = Math.max(
    20,
    Math.min(1000, Math.floor(Math.min(limits.headersTimeout, limits.keepAliveTimeout) / 4)),
  )

  const sweep = () => {
    const now = Date.now()
    for (const c of conns) {
      if (c.deadline === 0 || c.deadline > now) continue
      c.deadline = 0
      if (c.timerKind === 'head') fail(c, 408)
      else c.socket.destroy()
    }
  }
  const arm = (c: Conn, ms: number, kind: 'head' | 'idle') => {
    c.timerKind = kind
    c.deadline = Date.now() + ms
  }
  const write = (c: Conn, status: number, body: Uint8Array | string, type: string) => {
    const socket = c.socket
    if (socket.destroyed) return
    const payload = typeof body === 'string' ? Buffer.from(body) : body
    const close = c.closeAfter || closing
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
      arm(c, limits.keepAliveTimeout, 'idle')
    } else socket.write(out)
  }
  const fail = (c: Conn, status: number) => {
    onBadRequest(status)
    c.closeAfter = true
    c.pending = undefined
    c.deadline = 0
    c.headOnly = false
    write(c, status, '', 'text/plain')
  }

  /** Parses and answers every complete request head in `c.pending`, one at a time. */
  const drain = (c: Conn) => {
    while (!c.busy && c.pending && !c.socket.destroyed && !c.closeAfter) {
      const buf = c.pending
      const end = buf.indexOf(HEAD_END)
      if (end < 0) {
        if (buf.length > limits.maxHeaderBytes) return fail(c, 431)
        if (c.deadline === 0) arm(c, limits.headersTimeout, 'head')
        return
      }
      if (end > limits.maxHeaderBytes) return fail(c, 431)
      const head = buf.toString('latin1', 0, end)
      c.pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined
      c.deadline = 0
      const lineEnd = head.indexOf('\r\n')
      const r = requestLine(lineEnd < 0 ? head : head.slice(0, lineEnd))
      if (!r) return fail(c, 400)
      let connection: string | undefined
      if (lineEnd >= 0) {
        const lower = head.toLowerCase()
        const length = header(lower, lineEnd, 'content-length')
        if (
          (length !== undefined && length.charCodeAt(0) >= 0x31 && length.charCodeAt(0) <= 0x39) ||
          header(lower, lineEnd, 'transfer-encoding') !== undefined
        ) {
          // Tracker requests have no body; refusing one keeps the stream in sync.
          return fail(c, r.method === 'GET' || r.method === 'HEAD' ? 400 : 405)
        }
        connection = header(lower, lineEnd, 'connection')
      }
      c.closeAfter = r.minor === 0 ? !connection?.includes('keep-alive') : !!connection?.includes('close')
      c.busy = true
      c.headOnly = r.method === 'HEAD'
      handler({ method: r.method, url: r.url, remoteAddress: c.socket.remoteAddress ?? '' }, c.respond)
    }
  }

  function onData(this: ConnSocket, chunk: Buffer) {
    const c = this[CONN]
    if (c.closeAfter) return
    c.pending = c.pending ? Buffer.concat([c.pending, chunk]) : chunk
    if (c.pending.length > limits.maxHeaderBytes * 4) return fail(c, 431) // pipelined flood
    if (!c.busy) {
      if (c.timerKind === 'idle') c.deadline = 0
      drain(c)
    }
  }
  function onError(this: ConnSocket) {
    this.destroy()
  }
  function onClose(this: ConnSocket) {
    conns.delete(this[CONN])
  }

  // No setNoDelay: every response is one write, so Nagle never holds anything back.
  const server = createServer((socket) => {
    if (closing) return void socket.destroy()
    const c: Conn = {
      socket,
      pending: undefined,
      busy: false,
      headOnly: false,
      closeAfter: false,
      deadline: 0,
      timerKind: 'head',
      respond: (status, body, type = 'text/plain') => {
        if (!c.busy) return // answered already
        write(c, status, body, type)
        c.busy = false
        if (!c.closeAfter && !closing) {
          if (c.pending) drain(c)
          else arm(c, limits.keepAliveTimeout, 'idle')
        }
      },
    }
    ;(socket as ConnSocket)[CONN] = c
    conns.add(c)
    arm(c, limits.headersTimeout, 'head')
    if (sweeper === undefined) {
      sweeper = setInterval(sweep, sweepMs)
      sweeper.unref()
    }
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('close', onClose)
  })
  server.maxConnections = limits.maxConnections

  return {
    server,
    close(graceMs) {
      closing = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const c of conns) if (!c.busy) c.socket.destroy()
      const timer = setTimeout(() => {
        for (const c of conns) c.socket.destroy()
      }, graceMs)
      return closed.finally(() => {
        clearTimeout(timer)
        if (sweeper !== undefined) clearInterval(sweeper)
      })
    },
  }
}
