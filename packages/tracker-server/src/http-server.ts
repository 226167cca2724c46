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
  /** Close after the current response. */
  closeAfter: boolean
  timer: NodeJS.Timeout | undefined
  /** `head`: a request head is arriving (not reset by more bytes); `idle`: between keep-alive requests. */
  timerKind: 'head' | 'idle'
}

/**
 * A minimal HTTP/1.1 server for tracker requests: GET/HEAD without bodies, keep-alive and pipelining,
 * one write per response. Request heads are bounded in size and time; anything else (bodies, bad
 * request lines, oversized heads) is answered with a 4xx and the connection closed. Trackers only
 * see short GETs, and skipping the generic machinery of `node:http` roughly halves the cost of each.
 */
export function createHttpServer(
  handler: (req: HttpRequest, respond: Respond) => void,
  limits: HttpServerLimits,
  onBadRequest: (status: number) => void,
): HttpServer {
  const conns = new Set<Conn>()
  let closing = false

  const arm = (c: Conn, ms: number, status: number | undefined) => {
    if (c.timer) clearTimeout(c.timer)
    c.timerKind = status === undefined ? 'idle' : 'head'
    c.timer = setTimeout(() => {
      c.timer = undefined
      if (status !== undefined) fail(c, status)
      else c.socket.destroy()
    }, ms)
  }
  const disarm = (c: Conn) => {
    if (c.timer) clearTimeout(c.timer)
    c.timer = undefined
  }
  const write = (c: Conn, status: number, body: Uint8Array | string, type: string, headOnly: boolean) => {
    if (c.socket.destroyed) return
    const payload = typeof body === 'string' ? Buffer.from(body) : body
    const head =
      `HTTP/1.1 ${status} ${STATUS[status] ?? 'OK'}\r\nContent-Type: ${type}\r\nContent-Length: ${payload.length}\r\n` +
      (c.closeAfter || closing ? 'Connection: close\r\n\r\n' : '\r\n')
    const out = Buffer.allocUnsafe(head.length + (headOnly ? 0 : payload.length))
    out.write(head, 0, 'latin1')
    if (!headOnly) out.set(payload, head.length)
    if (c.closeAfter || closing) c.socket.end(out)
    else c.socket.write(out)
  }
  const fail = (c: Conn, status: number) => {
    onBadRequest(status)
    c.closeAfter = true
    c.pending = undefined
    disarm(c)
    write(c, status, '', 'text/plain', false)
  }

  /** Parses and answers every complete request head in `c.pending`, one at a time. */
  const drain = (c: Conn) => {
    while (!c.busy && c.pending && !c.socket.destroyed && !c.closeAfter) {
      const buf = c.pending
      const end = buf.indexOf(HEAD_END)
      if (end < 0) {
        if (buf.length > limits.maxHeaderBytes) return fail(c, 431)
        if (!c.timer) arm(c, limits.headersTimeout, 408)
        return
      }
      if (end > limits.maxHeaderBytes) return fail(c, 431)
      const head = buf.toString('latin1', 0, end)
      c.pending = end + 4 < buf.length ? buf.subarray(end + 4) : undefined
      disarm(c)
      const lineEnd = head.indexOf('\r\n')
      const line = lineEnd < 0 ? head : head.slice(0, lineEnd)
      const m = /^([A-Z]{1,16}) (\S+) HTTP\/1\.([01])$/.exec(line)
      if (!m) return fail(c, 400)
      const headers = lineEnd < 0 ? '' : head.slice(lineEnd + 2).toLowerCase()
      if (/(^|\r\n)(content-length:\s*[1-9]|transfer-encoding:)/.test(headers)) {
        // Tracker requests have no body; refusing one keeps the stream in sync.
        return fail(c, m[1] === 'GET' || m[1] === 'HEAD' ? 400 : 405)
      }
      const connection = /(?:^|\r\n)connection:\s*([^\r]*)/.exec(headers)?.[1]
      c.closeAfter = m[3] === '0' ? !connection?.includes('keep-alive') : !!connection?.includes('close')
      c.busy = true
      const headOnly = m[1] === 'HEAD'
      let answered = false
      handler(
        { method: m[1]!, url: m[2]!, remoteAddress: c.socket.remoteAddress ?? '' },
        (status, body, type = 'text/plain') => {
          if (answered) return
          answered = true
          write(c, status, body, type, headOnly)
          c.busy = false
          if (!c.closeAfter && !closing) {
            if (c.pending) drain(c)
            else arm(c, limits.keepAliveTimeout, undefined)
          }
        },
      )
    }
  }

  // No setNoDelay: every response is one write, so Nagle never holds anything back.
  const server = createServer((socket) => {
    if (closing) return void socket.destroy()
    const c: Conn = {
      socket,
      pending: undefined,
      busy: false,
      closeAfter: false,
      timer: undefined,
      timerKind: 'head',
    }
    conns.add(c)
    arm(c, limits.headersTimeout, 408)
    socket.on('data', (chunk: Buffer) => {
      if (c.closeAfter) return
      c.pending = c.pending ? Buffer.concat([c.pending, chunk]) : chunk
      if (c.pending.length > limits.maxHeaderBytes * 4) return fail(c, 431) // pipelined flood
      if (!c.busy) {
        if (c.timerKind === 'idle') disarm(c)
        drain(c)
      }
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      disarm(c)
      conns.delete(c)
    })
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
      return closed.finally(() => clearTimeout(timer))
    },
  }
}
