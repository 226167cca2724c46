import type { Redis, RedisOptions } from 'ioredis'
import { TrackerServerError } from './errors.js'
import { DEFAULT_MAX_PEERS_PER_TORRENT, DEFAULT_PEER_TIMEOUT_MS } from './memory-store.js'
import { loadOptional } from './optional.js'
import type {
  PeerStore,
  ScrapeEntry,
  StoreAnnounce,
  StoreAnnounceResult,
  StoreTotals,
  SwarmCounts,
} from './peer-store.js'
import { decodeAnswer, encodeAnnounce } from './redis-batch.js'
import { ANNOUNCE, FULL_SCRAPE, SCRAPE, TOTALS } from './redis-scripts.js'

/** Default prefix of every Redis key the store writes. */
export const DEFAULT_REDIS_PREFIX = 'p2pt:'
/** Default time a Redis command may take before the request fails, ms. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000
/**
 * Most announces sent to Redis in one script call. A full batch goes at once, so Redis works on it while
 * the tracker still reads requests; the rest go when the event loop turns.
 */
export const REDIS_ANNOUNCE_BATCH = 32
/** Longest time between two updates of a torrent's entry in the torrents index, ms. */
const INDEX_SLACK_MS = 60_000

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** `redis://host:port/db` (default `redis://127.0.0.1:6379`). Ignored when `redis` is given. */
  url?: string
  /** An existing ioredis client to use (not closed by `close()`). */
  redis?: Redis
  /** Extra ioredis options for the client the store creates. */
  redisOptions?: RedisOptions
  /** Key prefix (default {@link DEFAULT_REDIS_PREFIX}); trackers sharing a swarm view share it. */
  prefix?: string
  /**
   * Peers not heard from for this long are dropped, ms; a torrent's keys expire (Redis TTL) at most an
   * eighth of it, and at most a minute, after its last peer (default {@link DEFAULT_PEER_TIMEOUT_MS}).
   */
  peerTimeout?: number
  /** Most peers per torrent; the one seen longest ago is evicted (default {@link DEFAULT_MAX_PEERS_PER_TORRENT}). */
  maxPeersPerTorrent?: number
  /** Time a command may take, ms (default {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS}). */
  commandTimeout?: number
  /** Clock, integer ms, for tests (default `Date.now`). */
  now?: () => number
}

type Scripts = Redis & {
  p2pTrackerAnnounceBuffer(...args: (string | Buffer | number)[]): Promise<Buffer>
  p2pTrackerScrape(...args: (string | number)[]): Promise<number[]>
  p2pTrackerFullScrape(...args: (string | number)[]): Promise<(string | number)[]>
  p2pTrackerTotals(...args: (string | number)[]): Promise<number[]>
}

/**
 * A {@link PeerStore} in Redis, so several tracker processes (on several cores or hosts) share one
 * swarm view. Each announce is one Lua script (atomic: counts stay exact); peers expire by their
 * last-seen score and whole torrents by Redis TTLs. Needs Redis >= 6.2 (`ZRANDMEMBER`). Trackers sharing
 * a prefix must run the same version of this package (the key layout may change between versions).
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379' })
 * const server = createTrackerServer({ store })
 * ```
 */
export class RedisStore implements PeerStore {
  /** The ioredis client. */
  readonly redis: Redis
  readonly #scripts: Scripts
  readonly #ownsClient: boolean
  readonly #prefix: string
  readonly #peerTimeout: number
  readonly #maxPeers: number
  readonly #now: () => number
  /** How stale a torrent's time in the torrents index may get, ms. */
  readonly #slack: number
  /** Announces waiting for the next script call. */
  #queue: {
    encoded: Buffer
    req: StoreAnnounce
    resolve: (r: StoreAnnounceResult) => void
    reject: (err: unknown) => void
  }[] = []
  /** Bytes of the queued announces. */
  #queued = 0
  /** A flush is scheduled. */
  #flushing = false

  constructor(options: RedisStoreOptions = {}) {
    this.#prefix = options.prefix ?? DEFAULT_REDIS_PREFIX
    this.#peerTimeout = Math.round(options.peerTimeout ?? DEFAULT_PEER_TIMEOUT_MS)
    this.#maxPeers = options.maxPeersPerTorrent ?? DEFAULT_MAX_PEERS_PER_TORRENT
    this.#now = options.now ?? Date.now
    this.#slack = Math.min(INDEX_SLACK_MS, Math.ceil(this.#peerTimeout / 8))
    if (!(this.#peerTimeout > 0) || !(this.#maxPeers > 0)) {
      throw new TrackerServerError(
        'TRACKER_SERVER_BAD_OPTION',
        'peerTimeout and maxPeersPerTorrent must be positive',
      )
    }
    this.#ownsClient = options.redis === undefined
    this.redis =
      options.redis ??
      new (loadOptional<typeof import('ioredis')>('ioredis', 'RedisStore').Redis)(
        options.url ?? 'redis://127.0.0.1:6379',
        {
          commandTimeout: options.commandTimeout ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 1,
          enableAutoPipelining: true,
          lazyConnect: false,
          ...options.redisOptions,
        },
      )
    // ioredis reports connection trouble as 'error' events; requests fail on their own and are answered
    // with a failure reason, so the event must not crash the process.
    this.redis.on('error', () => {})
    // Announces are batched here already; ioredis's auto-pipelining would hold each batch back for one
    // more turn of the event loop (while the tracker works on other requests and Redis idles).
    const ignored = this.redis.options.autoPipeliningIgnoredCommands ?? []
    if (!ignored.includes('p2pTrackerAnnounce')) {
      this.redis.options.autoPipeliningIgnoredCommands = [...ignored, 'p2pTrackerAnnounce']
    }
    this.redis.defineCommand('p2pTrackerAnnounce', { numberOfKeys: 0, lua: ANNOUNCE })
    this.redis.defineCommand('p2pTrackerScrape', { numberOfKeys: 0, lua: SCRAPE })
    this.redis.defineCommand('p2pTrackerFullScrape', { numberOfKeys: 0, lua: FULL_SCRAPE })
    this.redis.defineCommand('p2pTrackerTotals', { numberOfKeys: 0, lua: TOTALS })
    this.#scripts = this.redis as Scripts
  }

  /**
   * Records an announce. Announces arriving in the same turn of the event loop go to Redis together, as
   * one script call (at most {@link REDIS_ANNOUNCE_BATCH}): one round trip and one script run for the lot,
   * each announce still applied atomically and in order.
   */
  announce(req: StoreAnnounce): Promise<StoreAnnounceResult> {
    let encoded: Buffer
    try {
      encoded = encodeAnnounce(req)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ encoded, req, resolve, reject })
      this.#queued += encoded.length
      if (this.#queue.length >= REDIS_ANNOUNCE_BATCH) this.#flush()
      else if (!this.#flushing) {
        this.#flushing = true
        setImmediate(this.#flushSoon)
      }
    })
  }

  readonly #flushSoon = () => {
    this.#flushing = false
    this.#flush()
  }

  /** Sends the queued announces as one script call and settles each from its slice of the answer. */
  #flush(): void {
    const batch = this.#queue
    if (batch.length === 0) return
    const bytes = Buffer.allocUnsafe(this.#queued)
    let at = 0
    for (const b of batch) at += b.encoded.copy(bytes, at)
    this.#queue = []
    this.#queued = 0
    this.#scripts
      .p2pTrackerAnnounceBuffer(
        this.#prefix,
        this.#now(),
        this.#peerTimeout,
        this.#maxPeers,
        this.#slack,
        bytes,
      )
      .then(
        (reply) => {
          let next = 0
          for (const b of batch) {
            const answer = decodeAnswer(reply, next, b.req.peerId, b.req.numwant, b.req.families)
            next = answer.next
            if (answer.result instanceof TrackerServerError) b.reject(answer.result)
            else b.resolve(answer.result)
          }
        },
        (err) => {
          for (const b of batch) b.reject(err)
        },
      )
  }

  async scrape(infoHashes: readonly string[]): Promise<SwarmCounts[]> {
    if (infoHashes.length === 0) return []
    const out = await this.#scripts.p2pTrackerScrape(
      this.#prefix,
      this.#now(),
      this.#peerTimeout,
      ...infoHashes,
    )
    return infoHashes.map((_, i) => ({
      complete: Math.max(0, out[3 * i] ?? 0),
      incomplete: Math.max(0, out[3 * i + 1] ?? 0),
      downloaded: Math.max(0, out[3 * i + 2] ?? 0),
    }))
  }

  /** Counts of the `limit` most recently announced torrents, for a full scrape (one Lua script). */
  async fullScrape(limit: number): Promise<ScrapeEntry[]> {
    const out = await this.#scripts.p2pTrackerFullScrape(
      this.#prefix,
      this.#now(),
      this.#peerTimeout,
      limit,
      this.#slack,
    )
    const entries: ScrapeEntry[] = []
    for (let i = 0; i + 3 < out.length; i += 4) {
      const c = {
        infoHash: String(out[i]),
        complete: Math.max(0, Number(out[i + 1])),
        incomplete: Math.max(0, Number(out[i + 2])),
        downloaded: Math.max(0, Number(out[i + 3])),
      }
      if (c.complete + c.incomplete + c.downloaded > 0) entries.push(c)
    }
    return entries
  }

  async totals(): Promise<StoreTotals> {
    const [torrents, seeders, leechers] = await this.#scripts.p2pTrackerTotals(
      this.#prefix,
      this.#now(),
      this.#peerTimeout,
      this.#slack,
    )
    return { torrents: torrents ?? 0, seeders: seeders ?? 0, leechers: leechers ?? 0 }
  }

  async close(): Promise<void> {
    if (!this.#ownsClient) return
    try {
      await this.redis.quit()
    } catch {
      this.redis.disconnect()
    }
  }
}
