import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { MetainfoError } from './errors.js'
import { callingThreadRunner, WORKER_SOURCE } from './hash-worker.js'
import { loadBuiltin } from './load-builtin.js'

/** Options of {@link HashPool}. */
export interface HashPoolOptions {
  /** Worker threads; default `os.availableParallelism()`, at most 64. */
  threads?: number
}

/** Options of one hashing call. */
export interface HashCallOptions {
  /**
   * Move the buffer to the worker instead of copying it (faster; `data` becomes unusable). Only
   * when `data` covers its whole `ArrayBuffer`.
   */
  transfer?: boolean
}

/** Piece hashes of one hashing job: SHA-1 (20 bytes each) and/or v2 subtree roots (32 bytes each). */
export interface PiecesResult {
  /** SHA-1 of each piece, concatenated. */
  sha1?: Uint8Array
  /** v2 subtree root of each piece, concatenated. */
  roots?: Uint8Array
}

/**
 * @internal A hashing plan over files on disk, shared by all workers (see `runPlan` in the worker):
 * `chunks` holds 5 numbers per chunk (first segment, segment count, first SHA-1 piece or -1, first
 * v2 root or -1, leaf count), `segments` 3 per segment (index in `paths`, position, length).
 */
export interface HashPlan {
  paths: string[]
  chunks: Float64Array
  segments: Float64Array
  pieceLength: number
  /** SHA-1 pieces are zero-padded to this length (hybrid tail pieces); 0 for none. */
  padTo: number
  /** SHA-1 outputs, 20 bytes per piece (a SharedArrayBuffer view). */
  sha1Out?: Uint8Array
  /** v2 root outputs, 32 bytes each (a SharedArrayBuffer view). */
  rootsOut?: Uint8Array
}

interface WorkerReply {
  id: number
  progress?: number
  error?: string
  io?: boolean
  digest?: Uint8Array
  sha1?: Uint8Array
  roots?: Uint8Array
}

interface Job {
  msg: Record<string, unknown> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }
  transfer: boolean
  resolve: (r: { digest?: Uint8Array; sha1?: Uint8Array; roots?: Uint8Array }) => void
  reject: (err: Error) => void
  onProgress?: (bytes: number) => void
}

interface Slot {
  worker: Worker
  /** Jobs sent to this worker and not answered yet, by id (the worker runs them in order). */
  jobs: Map<number, Job>
  /** Called when `jobs` becomes empty while closing. */
  onIdle?: () => void
}

/** Hashes plan chunks on the calling thread until none is left, yielding to the event loop between chunks. */
async function hashHere(msg: unknown, onProgress: ((bytes: number) => void) | undefined): Promise<void> {
  const runner = callingThreadRunner(msg, (bytes) => onProgress?.(bytes))
  try {
    while (runner.step()) await new Promise((resolve) => setImmediate(resolve))
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new MetainfoError(e.code ? 'METAINFO_IO' : 'METAINFO_POOL_CLOSED', `hashing failed: ${e.message}`, {
      cause: err,
    })
  } finally {
    runner.close()
  }
}

/** Jobs queued inside one worker at once, so it never waits for the main thread between jobs. */
const PER_WORKER = 3
/** How long `close()` lets sent jobs finish before terminating a worker. */
const CLOSE_GRACE_MS = 5000

/**
 * SHA-1 / SHA-256 hashing on worker threads, shared by `createTorrent` and by piece verification
 * in `@p2p/swarm`. Jobs queue in order and go to the first idle worker; `close()` ends the threads.
 * Workers are unref'd while idle, so an open pool never keeps the process alive.
 *
 * @example
 * ```ts
 * const pool = new HashPool({ threads: 2 })
 * const sha1 = await pool.digest('sha1', piece)
 * const root = await pool.pieceRootSha256(piece, spec.sha256.leafCount)
 * await pool.close()
 * ```
 */
export class HashPool {
  /** Number of worker threads. */
  readonly threads: number
  readonly #slots: Slot[] = []
  readonly #queue: Job[] = []
  #closed = false
  #nextId = 1

  constructor(options: HashPoolOptions = {}) {
    const n = options.threads ?? availableParallelism()
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      throw new MetainfoError('METAINFO_INVALID_OPTION', `threads must be an integer 1..64, got ${n}`)
    }
    this.threads = n
  }

  /** SHA-1 or SHA-256 digest of `data`. */
  digest(algorithm: 'sha1' | 'sha256', data: Uint8Array, options: HashCallOptions = {}): Promise<Uint8Array> {
    return this.#run({ op: algorithm }, data, options.transfer === true).then((r) => r.digest!)
  }

  /**
   * BEP 52 root of `data` hashed as 16 KiB leaves and zero-padded to `leafCount` leaves (the
   * `sha256` of a {@link PieceSpec}).
   */
  pieceRootSha256(data: Uint8Array, leafCount: number, options: HashCallOptions = {}): Promise<Uint8Array> {
    if (!Number.isInteger(leafCount) || leafCount < 1 || (leafCount & (leafCount - 1)) !== 0) {
      return Promise.reject(
        new MetainfoError('METAINFO_INVALID_OPTION', `leafCount must be a power of two, got ${leafCount}`),
      )
    }
    return this.#run({ op: 'root', leafCount }, data, options.transfer === true).then((r) => r.digest!)
  }

  /**
   * @internal Hashes consecutive pieces: SHA-1 per piece (zero-padded to `padTo` when set) and/or
   * the v2 subtree root per piece of `leafCount` leaves.
   */
  hashPieces(
    data: Uint8Array,
    o: { pieceLength: number; sha1: boolean; padTo?: number; leafCount?: number },
    transfer: boolean,
  ): Promise<PiecesResult> {
    return this.#run(
      {
        op: 'pieces',
        pieceLength: o.pieceLength,
        sha1: o.sha1,
        padTo: o.padTo ?? 0,
        leafCount: o.leafCount ?? 0,
      },
      data,
      transfer,
    )
  }

  /**
   * @internal Runs a {@link HashPlan} on every worker at once: workers claim chunks from a shared
   * counter (no message per chunk, no idle worker while work is left) and write digests straight
   * into `plan.sha1Out` / `plan.rootsOut`. `onProgress` gets hashed byte counts (at most every
   * 16 MiB per worker); `signal` stops the workers after their current chunk. With
   * `callingThread` the calling thread claims and hashes chunks too, one per event-loop turn,
   * starting at once while the workers boot (and one fewer worker is started per plan chunk).
   */
  async hashPlan(
    plan: HashPlan,
    o: { onProgress?: (bytes: number) => void; signal?: AbortSignal; callingThread?: boolean } = {},
  ): Promise<void> {
    if (this.#closed) throw new MetainfoError('METAINFO_POOL_CLOSED', 'hash pool closed')
    const count = plan.chunks.length / 5
    if (count === 0) return
    const shared = (a: Float64Array) => {
      const sab = new SharedArrayBuffer(a.byteLength)
      new Float64Array(sab).set(a)
      return sab
    }
    const control = new Int32Array(new SharedArrayBuffer(8))
    const stop = () => Atomics.store(control, 1, 1)
    o.signal?.addEventListener('abort', stop, { once: true })
    const msg = {
      op: 'plan',
      paths: plan.paths,
      chunks: shared(plan.chunks),
      segments: shared(plan.segments),
      pieceLength: plan.pieceLength,
      padTo: plan.padTo,
      sha1Out: plan.sha1Out?.buffer,
      rootsOut: plan.rootsOut?.buffer,
      control: control.buffer,
      progress: o.onProgress ? 16 * 1024 * 1024 : 0,
      buffer: new ArrayBuffer(0),
      byteOffset: 0,
      byteLength: 0,
    }
    const jobs: Promise<unknown>[] = []
    for (let i = 0; i < Math.min(this.threads, o.callingThread ? count - 1 : count); i++) {
      jobs.push(
        new Promise((resolve, reject) => {
          this.#queue.push({ msg, transfer: false, resolve, reject, onProgress: o.onProgress })
        }),
      )
    }
    this.#pump()
    try {
      const here =
        o.callingThread &&
        (await hashHere(msg, o.onProgress).then(
          () => undefined,
          (err: unknown) => err,
        ))
      const results = await Promise.allSettled(jobs)
      if (here) throw here
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
    } finally {
      stop()
      o.signal?.removeEventListener('abort', stop)
    }
  }

  /** Jobs waiting for a worker. */
  get pending(): number {
    return this.#queue.length
  }

  /**
   * Ends the worker threads: queued jobs reject at once with `METAINFO_POOL_CLOSED`; jobs already
   * sent to a worker finish (up to 5 s, so no file is left open) and then reject the same way.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const err = new MetainfoError('METAINFO_POOL_CLOSED', 'hash pool closed')
    for (const job of this.#queue.splice(0)) job.reject(err)
    const slots = this.#slots.splice(0)
    // jobs already sent finish first (a reader may hold an open file), bounded by CLOSE_GRACE_MS
    await Promise.all(
      slots.map(async (s) => {
        if (s.jobs.size > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, CLOSE_GRACE_MS)
            s.onIdle = () => {
              clearTimeout(timer)
              resolve()
            }
          })
        }
        for (const job of s.jobs.values()) job.reject(err)
        s.jobs.clear()
        await s.worker.terminate()
      }),
    )
  }

  #run(
    fields: Record<string, unknown>,
    data: Uint8Array,
    transfer: boolean,
  ): Promise<{ digest?: Uint8Array; sha1?: Uint8Array; roots?: Uint8Array }> {
    if (this.#closed) return Promise.reject(new MetainfoError('METAINFO_POOL_CLOSED', 'hash pool closed'))
    if (!(data instanceof Uint8Array)) {
      return Promise.reject(new MetainfoError('METAINFO_INVALID_INPUT', 'data must be a Uint8Array'))
    }
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    const canTransfer = transfer && whole && !(data.buffer instanceof SharedArrayBuffer)
    return new Promise((resolve, reject) => {
      const msg = { ...fields, buffer: data.buffer, byteOffset: data.byteOffset, byteLength: data.byteLength }
      this.#queue.push({ msg, transfer: canTransfer, resolve, reject })
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot: Slot | undefined
      for (const s of this.#slots) if (!slot || s.jobs.size < slot.jobs.size) slot = s
      if ((!slot || slot.jobs.size > 0) && this.#slots.length < this.threads) slot = this.#spawn()
      if (!slot || slot.jobs.size >= PER_WORKER) return
      const job = this.#queue.shift()!
      const id = this.#nextId++
      slot.jobs.set(id, job)
      slot.worker.ref()
      const transferList = job.transfer ? [job.msg.buffer as ArrayBuffer] : []
      if (!job.transfer && job.msg.byteLength > 0 && job.msg.byteLength < job.msg.buffer.byteLength) {
        // copy just the view, not its whole backing buffer
        const copy = new Uint8Array(new Uint8Array(job.msg.buffer, job.msg.byteOffset, job.msg.byteLength))
        slot.worker.postMessage({ ...job.msg, id, buffer: copy.buffer, byteOffset: 0 }, [copy.buffer])
      } else {
        slot.worker.postMessage({ ...job.msg, id }, transferList)
      }
    }
  }

  #spawn(): Slot {
    // own execArgv: the parent's flags (`--input-type=module`, loaders, `--import`) must not
    // change how the worker source runs, nor slow its start
    // Loaded here: a process that never hashes on a worker (a v1 download) does not carry it.
    const { Worker } = loadBuiltin('node:worker_threads') as typeof import('node:worker_threads')
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] })
    const slot: Slot = { worker, jobs: new Map() }
    worker.on('message', (m: WorkerReply) => {
      const job = slot.jobs.get(m.id)
      if (!job) return
      if (m.progress !== undefined) {
        job.onProgress?.(m.progress)
        return
      }
      slot.jobs.delete(m.id)
      if (slot.jobs.size === 0) {
        worker.unref()
        slot.onIdle?.()
      }
      if (this.#closed) job.reject(new MetainfoError('METAINFO_POOL_CLOSED', 'hash pool closed'))
      else if (m.error) {
        job.reject(
          new MetainfoError(m.io ? 'METAINFO_IO' : 'METAINFO_POOL_CLOSED', `hash worker failed: ${m.error}`),
        )
      } else {
        job.resolve({
          digest: m.digest && new Uint8Array(m.digest.buffer, m.digest.byteOffset, m.digest.byteLength),
          sha1: m.sha1 && new Uint8Array(m.sha1.buffer, m.sha1.byteOffset, m.sha1.byteLength),
          roots: m.roots && new Uint8Array(m.roots.buffer, m.roots.byteOffset, m.roots.byteLength),
        })
      }
      if (!this.#closed) this.#pump()
    })
    const onDeath = (err: Error) => {
      const i = this.#slots.indexOf(slot)
      if (i >= 0) this.#slots.splice(i, 1)
      for (const job of slot.jobs.values()) {
        job.reject(
          new MetainfoError('METAINFO_POOL_CLOSED', `hash worker died: ${err.message}`, { cause: err }),
        )
      }
      slot.jobs.clear()
      slot.onIdle?.()
      if (!this.#closed) this.#pump()
    }
    worker.on('error', onDeath)
    worker.on('exit', (code) => {
      if (!this.#closed) onDeath(new Error(`exit code ${code}`))
    })
    worker.unref()
    this.#slots.push(slot)
    return slot
  }
}
