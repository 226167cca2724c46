import { unlinkSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { deserialize, serialize } from 'node:v8'
import { TrackerServerError, type TrackerServerErrorCode } from './errors.js'
import type { StoreAnnounce } from './peer-store.js'
import {
  type AnnounceReply,
  decodeAnnounceCalls,
  decodeAnnounceReplies,
  encodeAnnounceCalls,
  encodeAnnounceReplies,
  type ShardAnnounceAnswer,
} from './shard-codec.js'
import type { ShardCall } from './sharded-store.js'

/** Largest frame accepted on a shard link, bytes (a batch of calls or answers). */
const MAX_FRAME = 256 << 20
/** Most calls in one frame (a turn with more sends several). */
const FRAME_CALLS = 1024
/** Most calls waiting for a worker that is not listening yet; more fail at once. */
const MAX_WAITING = 10_000
/** Most bytes queued on a link's socket before new calls fail at once (the owner is not keeping up). */
const MAX_BUFFERED = 32 << 20
/** Longest Unix socket path (sun_path holds 108 bytes with the terminating zero). */
const MAX_SOCKET_PATH = 107
/** How often pending calls are checked against their deadline, ms. */
const SWEEP_MS = 250
/** Wait before connecting again to a worker that is not listening yet, ms. */
const RETRY_MS = 50
/** Frame kinds: calls and their answers as structured clones, announces and theirs in binary. */
const CALLS = 1
const REPLIES = 2
const ANNOUNCES = 3
const ANNOUNCE_REPLIES = 4

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
  socket: Socket | undefined
  /** Connected: frames can go. */
  ready: boolean
  retry: NodeJS.Timeout | undefined
  /** Calls waiting for the next frames (sent once per event-loop turn): announces, and the rest. */
  announces: [id: number, req: StoreAnnounce][]
  calls: Request[]
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
 * calls of one event-loop turn to one worker travel as one length-prefixed frame, and so do the answers, so a
 * busy tracker pays a write per turn rather than per announce; announces (the hot path) are encoded in binary
 * ({@link encodeAnnounceCalls}), the rarer calls as v8 structured clones.
 */
export class ShardLinks {
  #server: Server | undefined
  readonly #out = new Map<number, Outgoing>()
  readonly #incoming = new Set<Socket>()
  /** Next call id; TS `private` rather than `#` so a test can start it near the 2^32 wrap-around. */
  #nextId = 1
  #flushing = false
  readonly #sweeper: NodeJS.Timeout
  #closed = false
  readonly #dir: string
  readonly #self: number
  /**
   * Runs a call another worker routed here, synchronously (the memory store answers at once); an announce
   * answers a {@link ShardAnnounceAnswer}.
   */
  readonly #serve: (call: ShardCall) => unknown
  readonly #timeoutMs: number

  constructor(dir: string, self: number, serve: (call: ShardCall) => unknown, timeoutMs: number) {
    this.#dir = dir
    this.#self = self
    this.#serve = serve
    this.#timeoutMs = timeoutMs
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS)
    this.#sweeper.unref()
  }

  /** Starts listening for the other workers (a stale socket file of a dead predecessor is replaced). */
  async listen(): Promise<void> {
    const path = shardLinkPath(this.#dir, this.#self)
    if (process.platform !== 'win32' && Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new TrackerServerError(
        'TRACKER_SERVER_LISTEN',
        `cluster link socket path is longer than ${MAX_SOCKET_PATH} bytes (use a shorter TMPDIR): ${path}`,
      )
    }
    if (process.platform !== 'win32') {
      try {
        unlinkSync(path)
      } catch {}
    }
    const server = createServer((socket) => {
      this.#incoming.add(socket)
      socket.on('close', () => this.#incoming.delete(socket))
      socket.on('error', () => socket.destroy())
      readFrames(socket, (kind, body) => {
        if (kind === ANNOUNCES) this.#answerAnnounces(socket, decodeAnnounceCalls(body))
        else if (kind === CALLS) this.#answerCalls(socket, deserialize(body) as Request[])
        else throw new RangeError(`unexpected frame kind ${kind}`)
      })
    })
    this.#server = server
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
    if (this.#closed) return Promise.reject(linkError(`cluster worker ${to}: link closed`))
    const link = this.#link(to)
    if (!link.ready && link.pending.size >= MAX_WAITING)
      return Promise.reject(linkError(`cluster worker ${to}: not reachable (${MAX_WAITING} calls waiting)`))
    if (link.ready && (link.socket?.writableLength ?? 0) > MAX_BUFFERED)
      return Promise.reject(linkError(`cluster worker ${to}: overloaded`))
    const id = this.#nextId
    this.#nextId = id >= 0xffffffff ? 1 : id + 1
    return new Promise((resolve, reject) => {
      link.pending.set(id, { resolve, reject, deadline: Date.now() + this.#timeoutMs })
      if (call.op === 'announce') link.announces.push([id, call.args])
      else link.calls.push([id, call])
      this.#scheduleFlush()
    })
  }

  /** Closes every link; calls still waiting fail. */
  close(): void {
    this.#closed = true
    clearInterval(this.#sweeper)
    for (const [to, link] of this.#out) this.#drop(to, link, 'link closed')
    for (const s of this.#incoming) s.destroy()
    this.#server?.close()
  }

  #scheduleFlush(): void {
    if (this.#flushing) return
    this.#flushing = true
    setImmediate(this.#flush)
  }

  #link(to: number): Outgoing {
    const known = this.#out.get(to)
    if (known) return known
    const link: Outgoing = {
      socket: undefined,
      ready: false,
      retry: undefined,
      announces: [],
      calls: [],
      pending: new Map(),
    }
    this.#out.set(to, link)
    this.#connect(to, link)
    return link
  }

  #connect(to: number, link: Outgoing): void {
    link.retry = undefined
    const socket = createConnection(shardLinkPath(this.#dir, to))
    link.socket = socket
    socket.once('connect', () => {
      link.ready = true
      this.#scheduleFlush()
    })
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      if (this.#closed || this.#out.get(to) !== link) return
      // A link that worked is gone (the worker died): the answers it owed are lost.
      if (link.ready) return this.#drop(to, link, 'link lost')
      // The worker is not listening yet (starting or restarting): the calls wait for it until their deadline.
      link.socket = undefined
      if (link.pending.size === 0) this.#out.delete(to)
      else link.retry = setTimeout(() => this.#connect(to, link), RETRY_MS)
    })
    const settle = (id: number, ok: boolean, value: unknown) => {
      const p = link.pending.get(id)
      if (!p) return
      link.pending.delete(id)
      if (ok) p.resolve(value)
      else p.reject(value)
    }
    readFrames(socket, (kind, body) => {
      if (kind === ANNOUNCE_REPLIES) {
        for (const [id, a] of decodeAnnounceReplies(body)) settle(id, !(a instanceof TrackerServerError), a)
      } else if (kind === REPLIES) {
        for (const r of deserialize(body) as Reply[]) {
          const code = (r[1] ? undefined : r[3]) as TrackerServerErrorCode | undefined
          settle(r[0], r[1], r[1] ? r[2] : new TrackerServerError(code ?? 'TRACKER_SERVER_STORE', r[2]))
        }
      } else throw new RangeError(`unexpected frame kind ${kind}`)
    })
  }

  readonly #flush = () => {
    this.#flushing = false
    for (const [to, link] of this.#out) {
      if (!link.ready || !link.socket) continue
      // Calls that timed out while waiting are not sent (their callers have their answer).
      const announces = link.announces.filter((c) => link.pending.has(c[0]))
      const calls = link.calls.filter((c) => link.pending.has(c[0]))
      link.announces = []
      link.calls = []
      this.#send(to, link, ANNOUNCES, announces, encodeAnnounceCalls)
      this.#send(to, link, CALLS, calls, serialize)
    }
  }

  /** Writes `items` in frames of at most {@link FRAME_CALLS}; items that cannot be encoded fail their calls. */
  #send<T extends [number, unknown]>(
    to: number,
    link: Outgoing,
    kind: number,
    items: T[],
    encode: (batch: T[]) => Buffer,
  ): void {
    for (let i = 0; i < items.length; i += FRAME_CALLS) {
      const batch = items.slice(i, i + FRAME_CALLS)
      try {
        writeFrame(link.socket!, kind, encode(batch))
      } catch (err) {
        for (const [id] of batch) {
          const p = link.pending.get(id)
          link.pending.delete(id)
          p?.reject(linkError(`cluster worker ${to}: call not sent (${(err as Error).message})`))
        }
      }
    }
  }

  #answerCalls(socket: Socket, calls: Request[]): void {
    const replies: Reply[] = []
    for (const [id, call] of calls) {
      try {
        replies.push([id, true, this.#serve(call)])
      } catch (err) {
        const e = asTrackerError(err)
        replies.push([id, false, e.message, e.code])
      }
    }
    if (!socket.destroyed) writeFrame(socket, REPLIES, serialize(replies))
  }

  #answerAnnounces(socket: Socket, calls: [number, StoreAnnounce][]): void {
    const replies: AnnounceReply[] = []
    for (const [id, args] of calls) {
      try {
        replies.push([id, this.#serve({ op: 'announce', args }) as ShardAnnounceAnswer])
      } catch (err) {
        replies.push([id, asTrackerError(err)])
      }
    }
    if (!socket.destroyed) writeFrame(socket, ANNOUNCE_REPLIES, encodeAnnounceReplies(replies))
  }

  #drop(to: number, link: Outgoing, why: string): void {
    if (this.#out.get(to) === link) this.#out.delete(to)
    clearTimeout(link.retry)
    link.socket?.destroy()
    for (const p of link.pending.values()) p.reject(linkError(`cluster worker ${to}: ${why}`))
    link.pending.clear()
  }

  #sweep(): void {
    const now = Date.now()
    for (const [to, link] of this.#out) {
      let expired = 0
      for (const [id, p] of link.pending) {
        if (p.deadline > now) continue
        link.pending.delete(id)
        expired++
        p.reject(linkError(`cluster worker ${to} did not answer`))
      }
      // Expired calls waiting for a worker that does not listen yet leave the queue too.
      if (expired > 0 && !link.ready) {
        link.announces = link.announces.filter((c) => link.pending.has(c[0]))
        link.calls = link.calls.filter((c) => link.pending.has(c[0]))
      }
    }
  }
}

function linkError(message: string): TrackerServerError {
  return new TrackerServerError('TRACKER_SERVER_STORE', message)
}

/** A refusal keeps its code; anything else a store throws is `TRACKER_SERVER_STORE`. */
function asTrackerError(err: unknown): TrackerServerError {
  return err instanceof TrackerServerError
    ? err
    : new TrackerServerError('TRACKER_SERVER_STORE', String((err as Error)?.message ?? err))
}

/** Writes one frame: its length (kind byte included), its kind, its body. */
function writeFrame(socket: Socket, kind: number, body: Buffer): void {
  const head = Buffer.allocUnsafe(5)
  head.writeUInt32BE(body.length + 1, 0)
  head[4] = kind
  socket.cork()
  socket.write(head)
  socket.write(body)
  socket.uncork()
}

/**
 * Calls `onFrame` with each frame that arrives on `socket`; a frame that is empty, oversized or that
 * `onFrame` cannot read (it throws) closes the link. Chunks of a large frame are joined once, when it is whole.
 */
function readFrames(socket: Socket, onFrame: (kind: number, body: Buffer) => void): void {
  let chunks: Buffer[] = []
  let have = 0
  /** Length of the frame being read (its 4-byte prefix included), once known. */
  let need = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    have += chunk.length
    while (have >= 4) {
      if (need === 0) {
        if (chunks[0]!.length < 4) chunks = [Buffer.concat(chunks)]
        const len = chunks[0]!.readUInt32BE(0)
        if (len === 0 || len > MAX_FRAME) return void socket.destroy()
        need = 4 + len
      }
      if (have < need) return
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have)
      const frame = buf.subarray(0, need)
      chunks = have > need ? [buf.subarray(need)] : []
      have -= need
      need = 0
      try {
        onFrame(frame[4]!, frame.subarray(5))
      } catch {
        return void socket.destroy()
      }
    }
  })
}
