import cluster, { type Worker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TrackerServerError } from './errors.js'
import type { Logger } from './logger.js'
import { silentLogger } from './logger.js'
import type { MemoryStoreOptions } from './memory-store.js'
import type { TrackerServerOptions } from './options.js'
import type { TrackerStats } from './stats.js'
import type { ListenInfo } from './tracker-server.js'

/** Options of {@link runCluster}: the server options every worker gets, plus the cluster's. */
export interface ClusterOptions
  extends Omit<
    TrackerServerOptions,
    'store' | 'closeStore' | 'logger' | 'signal' | 'allowList' | 'connectionSecret'
  > {
  /** Worker processes (default: one per core, `os.availableParallelism()`). */
  workers?: number
  /** Share swarms through Redis (a {@link RedisStore} per worker); absent = memory, each info hash owned by one worker. */
  redisUrl?: string
  /** Key prefix of the Redis store. */
  redisPrefix?: string
  /** Options of each worker's {@link MemoryStore} (memory mode). */
  memory?: Omit<MemoryStoreOptions, 'now'>
  /** Info hashes (40 hex) allowed. */
  allowList?: string[]
  /** Logs of the primary and the workers (workers send theirs through the primary). */
  logger?: Logger
  /** Stops every worker when aborted. */
  signal?: AbortSignal
  /** Time allowed for the workers to start listening, ms (default 15000). */
  startTimeout?: number
}

/** A running cluster, in the primary process. */
export interface TrackerCluster extends ListenInfo {
  /** Worker count. */
  workers: number
  /** Store totals plus request counters summed over the workers. */
  stats(): Promise<TrackerStats>
  /** Stops every worker (each closes gracefully) and resolves once they exited. */
  close(): Promise<void>
}

/** What the primary passes to each worker (JSON in an environment variable). */
export interface WorkerConfig {
  index: number
  count: number
  secret: string
  /** The cluster's private directory (mode 0700) holding the workers' link sockets. */
  linkDir: string
  options: ClusterOptions
}

/** Environment variable carrying the {@link WorkerConfig}. */
export const WORKER_CONFIG_ENV = 'P2P_TRACKER_WORKER'

/**
 * Runs a tracker on `workers` processes sharing its HTTP and UDP ports (Node's cluster module, from the
 * primary process). With `redisUrl` every worker uses a {@link RedisStore} over one swarm view; without,
 * every worker keeps the swarms of the info hashes it owns in memory and forwards the others to their
 * owner over a direct local socket (batched per event-loop turn). UDP connection ids use one shared
 * secret, so any worker accepts them.
 *
 * @example
 * ```ts
 * const c = await runCluster({ workers: 2, httpPort: 8000, udpPort: 8000, redisUrl: 'redis://127.0.0.1:6379' })
 * console.log(c.httpUrl, c.udpUrl)
 * await c.close()
 * ```
 * @throws {TrackerServerError} `TRACKER_SERVER_BAD_OPTION` outside the primary process, `TRACKER_SERVER_LISTEN`
 * when a worker cannot listen.
 */
export async function runCluster(options: ClusterOptions = {}): Promise<TrackerCluster> {
  if (!cluster.isPrimary) {
    throw new TrackerServerError(
      'TRACKER_SERVER_BAD_OPTION',
      'runCluster must be called in the primary process',
    )
  }
  const count = options.workers ?? availableParallelism()
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new TrackerServerError('TRACKER_SERVER_BAD_OPTION', `workers must be in 1..256, got ${count}`)
  }
  const primary = new Primary(options, count)
  const info = await primary.start()
  return {
    ...info,
    workers: count,
    close: () => primary.close(),
    stats: () => primary.stats(),
  }
}

/** The primary's side of a cluster: forks the workers, restarts those that die, stops them all. */
class Primary {
  readonly #options: ClusterOptions
  readonly #count: number
  readonly #log: Logger
  /** Every worker gets these (`logger` and `signal` stay in the primary). */
  readonly #shared: ClusterOptions
  readonly #secret = randomBytes(32).toString('hex')
  readonly #linkDir: string
  readonly #workers: Worker[] = []
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; timer: NodeJS.Timeout }>()
  #nextId = 1
  #closing = false
  readonly #onAbort = () => void this.close()

  constructor(options: ClusterOptions, count: number) {
    const { logger, signal, ...shared } = options
    this.#options = options
    this.#count = count
    this.#log = logger ?? silentLogger
    this.#shared = shared
    // Only this user may connect to the workers' link sockets (mkdtemp makes the directory 0700).
    // A long TMPDIR would not leave room for the socket names (Unix socket paths hold 107 bytes).
    const base = process.platform !== 'win32' && tmpdir().length > 64 ? '/tmp' : tmpdir()
    this.#linkDir = mkdtempSync(join(base, 'p2p-tracker-'))
    // Let the kernel spread connections over the workers (round-robin through the primary costs a hop).
    cluster.schedulingPolicy = cluster.SCHED_NONE
    const exec = fileURLToPath(new URL('./cluster-worker.js', import.meta.url))
    cluster.setupPrimary({ exec, serialization: 'advanced', silent: false })
    signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  /** Forks every worker; resolves once all listen (on the first one's ports). */
  async start(): Promise<ListenInfo> {
    let info: ListenInfo
    try {
      // The first worker binds the ports (0 = any); the others share them.
      info = await this.#fork(0)
      await Promise.all(Array.from({ length: this.#count - 1 }, (_, i) => this.#fork(i + 1)))
    } catch (err) {
      await this.close()
      throw err
    }
    this.#log({ level: 'info', msg: 'cluster listening', workers: this.#count, ...info })
    return info
  }

  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    await Promise.all(this.#workers.map(stopWorker))
    rmSync(this.#linkDir, { recursive: true, force: true })
    this.#log({ level: 'info', msg: 'cluster closed' })
  }

  /** Every worker's stats summed (a worker that does not answer within 5 s is left out). */
  async stats(): Promise<TrackerStats> {
    const all = (await Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<unknown>((resolve) => {
            const id = this.#nextId++
            this.#pending.set(id, { resolve, timer: setTimeout(() => resolve(undefined), 5000) })
            w.send({ t: 'stats', id })
          }),
      ),
    )) as (TrackerStats | undefined)[]
    return sumStats(all.filter((s): s is TrackerStats => s !== undefined))
  }

  #fork(index: number): Promise<ListenInfo> {
    // Every worker gets the same options: node:cluster hands a worker that binds the same address and
    // port (0 included) the primary's shared handle, so they all end up on the first worker's ports.
    const config: WorkerConfig = {
      index,
      count: this.#count,
      secret: this.#secret,
      linkDir: this.#linkDir,
      options: this.#shared,
    }
    const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) })
    this.#workers[index] = worker
    worker.on('message', (msg: WorkerMessage) => this.#onMessage(index, msg))
    worker.on('exit', (code, sig) => this.#onExit(index, code, sig))
    return listening(worker, index, this.#options.startTimeout ?? 15_000)
  }

  #onMessage(index: number, msg: WorkerMessage): void {
    if (msg.t === 'log') {
      this.#log({ ...msg.entry, worker: index })
    } else if (msg.t === 'stats-reply') {
      const p = this.#pending.get(msg.id)
      if (p) {
        clearTimeout(p.timer)
        this.#pending.delete(msg.id)
        p.resolve(msg.stats)
      }
    }
  }

  /** A worker died outside close(): another takes its place. */
  #onExit(index: number, code: number, sig: string): void {
    if (this.#closing) return
    this.#log({ level: 'error', msg: 'cluster worker exited, restarting', worker: index, code, signal: sig })
    void this.#fork(index).catch((err) =>
      this.#log({ level: 'error', msg: 'cluster worker restart failed', err }),
    )
  }
}

/** Resolves with what `worker` listens on; rejects if it fails, exits or takes longer than `timeoutMs`. */
function listening(worker: Worker, index: number, timeoutMs: number): Promise<ListenInfo> {
  return new Promise<ListenInfo>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new TrackerServerError('TRACKER_SERVER_LISTEN', `cluster worker ${index} did not start listening`),
        ),
      timeoutMs,
    )
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.t === 'listening') {
        clearTimeout(timer)
        resolve(msg.info)
      } else if (msg.t === 'failed') {
        clearTimeout(timer)
        reject(new TrackerServerError('TRACKER_SERVER_LISTEN', `cluster worker ${index}: ${msg.message}`))
      }
    })
    worker.once('exit', () => {
      clearTimeout(timer)
      reject(
        new TrackerServerError('TRACKER_SERVER_LISTEN', `cluster worker ${index} exited before listening`),
      )
    })
  })
}

/** Asks `w` to close gracefully; kills it after 5 s. Resolves once it exited. */
function stopWorker(w: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    if (w.isDead()) return resolve()
    const kill = setTimeout(() => w.process.kill('SIGKILL'), 5000)
    w.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    w.send({ t: 'close' })
  })
}

function sumStats(all: TrackerStats[]): TrackerStats {
  const [first, ...rest] = all
  if (!first) throw new TrackerServerError('TRACKER_SERVER_CLOSED', 'no cluster worker answered')
  const out = structuredClone(first)
  for (const s of rest) {
    out.announces.http += s.announces.http
    out.announces.udp += s.announces.udp
    out.scrapes.http += s.scrapes.http
    out.scrapes.udp += s.scrapes.udp
    out.udpConnects += s.udpConnects
    out.announcesPerSecond = Math.round((out.announcesPerSecond + s.announcesPerSecond) * 10) / 10
    for (const k of Object.keys(s.events) as (keyof TrackerStats['events'])[]) out.events[k] += s.events[k]
    for (const [k, v] of Object.entries(s.failures)) {
      const code = k as keyof TrackerStats['failures']
      out.failures[code] = (out.failures[code] ?? 0) + (v ?? 0)
    }
  }
  return out
}

/** Messages between the primary and the workers. */
export type WorkerMessage =
  | { t: 'listening'; info: ListenInfo }
  | { t: 'failed'; message: string }
  | { t: 'log'; entry: import('./logger.js').LogEntry }
  | { t: 'stats'; id: number }
  | { t: 'stats-reply'; id: number; stats: TrackerStats | undefined }
  | { t: 'close' }
