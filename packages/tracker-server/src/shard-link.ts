import { unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { deserialize, serialize } from 'node:v8'
import { TrackerServerError, type TrackerServerErrorCode } from './errors.js'
import type { ShardCall } from './sharded-store.js'

/** Largest frame accepted on a shard link, bytes (a batch of calls or answers). */
const MAX_FRAME = 64 << 20
/** How often pending calls are checked against their deadline, ms. */
const SWEEP_MS = 250

/** One call in a request frame: its id and the call. */
type Request = [id: number, call: ShardCall]
/** One answer in a reply frame: the call id, then the value or the error message and code. */
type Reply = [id: number, ok: true, value: unknown] | [id: number, ok: false, message: string, code?: string]

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
  deadline: number
}

/** The outgoing side of a link to one worker. */
interface Outgoing {
  socket: Socket
  /** Calls waiting for the next frame (sent once per event-loop turn). */
  queue: Request[]
  pending: Map<number, Pending>
}

/**
 * The socket path of worker `index` of a cluster: a Unix socket in the cluster's private directory (mode
 * 0700, so only the tracker's user can connect), or a named pipe on Windows.
 */
export function shardLinkPath(dir: string, index: number): string {
  return process.platform === 'win32'
    ? `\\\\?\\pipe\\${dir.replace(/[\\/:]/g, '-')}-w${index}`
    : join(dir, `w${index}.sock`)
}

/**
 * Direct links between the workers of a memory-store cluster: every worker listens on its own local socket,
 * and a call for a swarm another worker owns goes straight to that worker (not through the primary). The
 * calls of one event-loop turn to one worker travel as one length-prefixed, v8-serialized frame, and so do
 * the answers, so a busy tracker pays a write per turn rather than per announce.
 */
export class ShardLinks {
  private server: Server | undefined
  private readonly out = new Map<number, Outgoing>()
  private readonly incoming = new Set<Socket>()
  private nextId = 1
  private flushing = false
  private readonly sweeper: NodeJS.Timeout
  private closed = false

  constructor(
    private readonly dir: string,
    private readonly self: number,
    /** Runs a call another worker routed here (synchronously: the memory store answers at once). */
    private readonly serve: (call: ShardCall) => unknown,
    private readonly timeoutMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS)
    this.sweeper.unref()
  }

  /** Starts listening for the other workers (a stale socket file of a dead predecessor is replaced). */
  async listen(): Promise<void> {
    const path = shardLinkPath(this.dir, this.self)
    if (process.platform !== 'win32') {
      try {
        unlinkSync(path)
      } catch {}
    }
    const server = createServer((socket) => {
      this.incoming.add(socket)
      socket.on('close', () => this.incoming.delete(socket))
      socket.on('error', () => socket.destroy())
      readFrames(socket, (frame) => this.answer(socket, frame as Request[]))
    })
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => {
        server.off('error', reject)
        resolve()
      })
    })
  }

  /** Sends `call` to worker `to` and resolves with its answer (rejects after the timeout or a broken link). */
  call(to: number, call: ShardCall): Promise<unknown> {
    if (this.closed) return Promise.reject(linkError(`cluster worker ${to}: link closed`))
    const link = this.link(to)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      link.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs })
      link.queue.push([id, call])
      if (!this.flushing) {
        this.flushing = true
        setImmediate(this.flush)
      }
    })
  }

  /** Closes every link; calls still waiting fail. */
  close(): void {
    this.closed = true
    clearInterval(this.sweeper)
    for (const [to, link] of this.out) this.drop(to, link, 'link closed')
    for (const s of this.incoming) s.destroy()
    this.server?.close()
  }

  private link(to: number): Outgoing {
    let link = this.out.get(to)
    if (link) return link
    const socket = createConnection(shardLinkPath(this.dir, to))
    const made: Outgoing = { socket, queue: [], pending: new Map() }
    link = made
    this.out.set(to, made)
    // A worker that is not listening yet (starting, restarting) fails the link; the calls waiting on it
    // fail, and the next call opens a new one.
    socket.on('error', () => socket.destroy())
    socket.on('close', () => this.drop(to, made, 'not reachable'))
    readFrames(socket, (frame) => {
      for (const r of frame as Reply[]) {
        const p = made.pending.get(r[0])
        if (!p) continue
        made.pending.delete(r[0])
        if (r[1]) p.resolve(r[2])
        else
          p.reject(new TrackerServerError((r[3] as TrackerServerErrorCode) ?? 'TRACKER_SERVER_STORE', r[2]))
      }
    })
    return link
  }

  private readonly flush = () => {
    this.flushing = false
    for (const link of this.out.values()) {
      if (link.queue.length === 0) continue
      writeFrame(link.socket, link.queue)
      link.queue = []
    }
  }

  private answer(socket: Socket, calls: Request[]): void {
    const replies: Reply[] = []
    for (const [id, call] of calls) {
      try {
        replies.push([id, true, this.serve(call)])
      } catch (err) {
        const code = err instanceof TrackerServerError ? err.code : undefined
        replies.push(
          code
            ? [id, false, (err as Error).message, code]
            : [id, false, String((err as Error)?.message ?? err)],
        )
      }
    }
    if (!socket.destroyed) writeFrame(socket, replies)
  }

  private drop(to: number, link: Outgoing, why: string): void {
    if (this.out.get(to) === link) this.out.delete(to)
    link.socket.destroy()
    for (const p of link.pending.values()) p.reject(linkError(`cluster worker ${to}: ${why}`))
    link.pending.clear()
  }

  private sweep(): void {
    const now = Date.now()
    for (const [to, link] of this.out) {
      for (const [id, p] of link.pending) {
        if (p.deadline > now) continue
        link.pending.delete(id)
        p.reject(linkError(`cluster worker ${to} did not answer`))
      }
    }
  }
}

function linkError(message: string): TrackerServerError {
  return new TrackerServerError('TRACKER_SERVER_STORE', message)
}

function writeFrame(socket: Socket, value: unknown): void {
  const body = serialize(value)
  const head = Buffer.allocUnsafe(4)
  head.writeUInt32BE(body.length, 0)
  socket.cork()
  socket.write(head)
  socket.write(body)
  socket.uncork()
}

/** Calls `onFrame` with each frame that arrives on `socket`; a malformed or oversized frame closes it. */
function readFrames(socket: Socket, onFrame: (value: unknown) => void): void {
  let buf: Buffer | undefined
  socket.on('data', (chunk: Buffer) => {
    buf = buf ? Buffer.concat([buf, chunk]) : chunk
    while (buf && buf.length >= 4) {
      const len = buf.readUInt32BE(0)
      if (len > MAX_FRAME) return void socket.destroy()
      if (buf.length < 4 + len) return
      let value: unknown
      try {
        value = deserialize(buf.subarray(4, 4 + len))
      } catch {
        return void socket.destroy()
      }
      buf = buf.length === 4 + len ? undefined : buf.subarray(4 + len)
      onFrame(value)
    }
  })
}
