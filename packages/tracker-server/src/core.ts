import { randomBytes } from 'node:crypto'
import type { AnnounceRequest } from './announce-request.js'
import { TrackerServerError, type TrackerServerErrorCode } from './errors.js'
import { type Logger, silentLogger } from './logger.js'
import { MemoryStore } from './memory-store.js'
import {
  DEFAULT_FULL_SCRAPE_CACHE_MS,
  DEFAULT_INTERVAL_S,
  DEFAULT_MAX_FULL_SCRAPE,
  DEFAULT_MAX_NUMWANT,
  DEFAULT_MAX_SCRAPE_HASHES,
  DEFAULT_MIN_INTERVAL_S,
  DEFAULT_NUMWANT,
  type TrackerServerOptions,
} from './options.js'
import {
  type AnnounceEvent,
  isPromise,
  type MaybePromise,
  type PeerStore,
  peerCount,
  type ScrapeEntry,
  type StoreAnnounceResult,
  type SwarmCounts,
} from './peer-store.js'
import { RateLimiter } from './rate-limit.js'
import { type Protocol, StatsCounters } from './stats.js'

/** Payload of the server's `announce` event: one accepted announce. */
export interface AnnounceInfo {
  protocol: Protocol
  /** Info hash, 40 hex. */
  infoHash: string
  peerId: Uint8Array
  /** The address recorded for the peer. */
  host: string
  port: number
  event: AnnounceEvent
  left: bigint
  seeder: boolean
  /** Peers returned. */
  peers: number
  /** BEP 41 URL data of a UDP announce (path and query), when sent. */
  urlData?: string
}

/** Payload of the server's `failure` event: a refused or failed request. */
export interface FailureInfo {
  protocol: Protocol
  host: string
  code: TrackerServerErrorCode
  message: string
}

/** Events of {@link TrackerServer}. */
export type TrackerServerEvents = {
  /** An announce was recorded. */
  announce: (info: AnnounceInfo) => void
  /** A scrape was answered. */
  scrape: (info: {
    protocol: Protocol
    host: string
    /** The info hashes asked for (hex); empty for a full scrape. */
    infoHashes: string[]
    /** A full scrape (BEP 48 scrape without `info_hash`): every torrent, up to `maxFullScrape`. */
    full?: boolean
  }) => void
  /** A request was refused (bad input, policy, rate limit) or the store failed. Never fatal. */
  failure: (info: FailureInfo) => void
  /** Both transports listen. */
  listening: (urls: { httpUrl: string | undefined; udpUrl: string | undefined }) => void
  /** The server closed. */
  close: () => void
}

/** The protocol-independent part of the tracker, shared by the HTTP and UDP transports. */
export class TrackerCore {
  readonly store: PeerStore
  readonly ownsStore: boolean
  readonly interval: number
  readonly minInterval: number
  readonly trackerId: string
  readonly warning: string | undefined
  readonly maxScrapeHashes: number
  /** Most torrents in a full scrape; 0 when full scrapes are off. */
  readonly maxFullScrape: number
  /** How long a full scrape's answer is reused, ms (0 = never). */
  readonly fullScrapeCacheMs: number
  /** The last full scrape's answer and when it goes stale (written by the HTTP transport). */
  fullScrapeCache: { body: Uint8Array; expires: number } | undefined
  readonly trustIpParam: boolean
  readonly counters = new StatsCounters()
  readonly log: Logger
  readonly #defaultNumwant: number
  readonly #maxNumwant: number
  readonly #allowed: ((hex: string) => boolean) | undefined
  readonly #limiter: RateLimiter | undefined
  readonly #emit: <K extends keyof TrackerServerEvents>(
    k: K,
    ...args: Parameters<TrackerServerEvents[K]>
  ) => void
  /** Whether an event has listeners (events nobody listens to are not built). */
  readonly #listening: (k: keyof TrackerServerEvents) => boolean

  constructor(
    options: TrackerServerOptions,
    emit: <K extends keyof TrackerServerEvents>(k: K, ...args: Parameters<TrackerServerEvents[K]>) => void,
    listening: (k: keyof TrackerServerEvents) => boolean = () => true,
  ) {
    this.#emit = emit
    this.#listening = listening
    this.interval = int(options.interval, DEFAULT_INTERVAL_S, 1, 86_400, 'interval')
    this.minInterval = int(
      options.minInterval,
      Math.min(DEFAULT_MIN_INTERVAL_S, this.interval),
      1,
      this.interval,
      'minInterval',
    )
    this.#defaultNumwant = int(options.defaultNumwant, DEFAULT_NUMWANT, 0, 100_000, 'defaultNumwant')
    this.#maxNumwant = int(options.maxNumwant, DEFAULT_MAX_NUMWANT, 0, 100_000, 'maxNumwant')
    this.maxScrapeHashes = int(
      options.maxScrapeHashes,
      DEFAULT_MAX_SCRAPE_HASHES,
      1,
      10_000,
      'maxScrapeHashes',
    )
    this.maxFullScrape =
      options.fullScrape === false
        ? 0
        : int(options.maxFullScrape, DEFAULT_MAX_FULL_SCRAPE, 1, 10_000_000, 'maxFullScrape')
    this.fullScrapeCacheMs = int(
      options.fullScrapeCacheMs,
      DEFAULT_FULL_SCRAPE_CACHE_MS,
      0,
      3_600_000,
      'fullScrapeCacheMs',
    )
    this.ownsStore = options.store === undefined
    this.store = options.store ?? new MemoryStore({ peerTimeout: this.interval * 1000 + 5 * 60_000 })
    this.trackerId = options.trackerId ?? randomBytes(8).toString('hex')
    this.warning = options.warning
    this.trustIpParam = options.trustIpParam ?? false
    this.log = options.logger ?? silentLogger
    if (options.allowList !== undefined) {
      const list = options.allowList
      if (typeof list === 'function') this.#allowed = list
      else {
        const set = new Set<string>()
        for (const h of list) {
          if (!/^[0-9a-fA-F]{40}$/.test(h)) {
            throw new TrackerServerError(
              'TRACKER_SERVER_BAD_OPTION',
              `allowList entries must be 40 hex, got ${JSON.stringify(h)}`,
            )
          }
          set.add(h.toLowerCase())
        }
        this.#allowed = (h) => set.has(h)
      }
    }
    this.#limiter = options.rateLimit === false ? undefined : new RateLimiter(options.rateLimit ?? {})
  }

  /** False (and counted) when `ip` is over its request rate. */
  admit(ip: string): boolean {
    return this.#limiter === undefined || this.#limiter.take(ip)
  }

  /** Whether an info hash may be tracked. */
  isAllowed(hex: string): boolean {
    return this.#allowed === undefined || this.#allowed(hex)
  }

  /**
   * Runs one announce through policy and the store. Throws (synchronously) a refusal, or returns the
   * store's answer (a promise for async stores, rejected with `TRACKER_SERVER_STORE`). `compactOnly`: the
   * caller reads only the compact lists of the answer (see {@link StoreAnnounce.compactOnly}).
   */
  announce(
    req: AnnounceRequest,
    host: string,
    protocol: Protocol,
    families: readonly (4 | 6)[],
    compactOnly: boolean,
    urlData?: string,
  ): MaybePromise<StoreAnnounceResult> {
    const infoHash = req.infoHash.toString('hex')
    if (!this.isAllowed(infoHash)) {
      throw new TrackerServerError('TRACKER_SERVER_NOT_ALLOWED', 'torrent not registered with this tracker')
    }
    // `host` is a normalised IP: only IPv6 has colons.
    const family = host.includes(':') ? 6 : 4
    const numwant =
      req.event === 'stopped' ? 0 : Math.min(req.numwant ?? this.#defaultNumwant, this.#maxNumwant)
    const seeder = req.left === 0n
    const result = this.#callStore(() =>
      this.store.announce({
        infoHash,
        peerId: req.peerId,
        host,
        family,
        port: req.port,
        key: req.key,
        seeder,
        event: req.event,
        numwant,
        families,
        compactOnly,
      }),
    )
    if (isPromise(result))
      return result.then((r) => this.#announced(r, req, infoHash, host, seeder, protocol, urlData))
    return this.#announced(result, req, infoHash, host, seeder, protocol, urlData)
  }

  /** Counts an accepted announce and emits its event (built only when someone listens). */
  #announced(
    result: StoreAnnounceResult,
    req: AnnounceRequest,
    infoHash: string,
    host: string,
    seeder: boolean,
    protocol: Protocol,
    urlData: string | undefined,
  ): StoreAnnounceResult {
    this.counters.announced(protocol, req.event)
    if (this.#listening('announce')) {
      this.#emit('announce', {
        protocol,
        infoHash,
        peerId: req.peerId,
        host,
        port: req.port,
        event: req.event,
        left: req.left,
        seeder,
        peers: peerCount(result),
        ...(urlData === undefined ? {} : { urlData }),
      })
    }
    return result
  }

  /** Counts for info hashes (hex); hashes off the allow-list read as zeros. */
  scrape(hexes: readonly string[], host: string, protocol: Protocol): MaybePromise<SwarmCounts[]> {
    const done = (counts: SwarmCounts[]): SwarmCounts[] => {
      this.counters.scrapes[protocol]++
      this.#emit('scrape', { protocol, host, infoHashes: [...hexes] })
      return counts
    }
    const allowed = hexes.map((h) => this.isAllowed(h))
    const result = this.#callStore(() => this.store.scrape(hexes))
    const mask = (counts: SwarmCounts[]) =>
      done(counts.map((c, i) => (allowed[i] ? c : { complete: 0, incomplete: 0, downloaded: 0 })))
    return isPromise(result) ? result.then(mask) : mask(result)
  }

  /**
   * Counts of every torrent (up to `maxFullScrape`, those off the allow-list left out) for a full scrape.
   * Throws `TRACKER_SERVER_BAD_SCRAPE` when full scrapes are off or the store cannot list its torrents.
   */
  fullScrape(host: string, protocol: Protocol): MaybePromise<ScrapeEntry[]> {
    const store = this.#checkFullScrape()
    const done = (entries: ScrapeEntry[]): ScrapeEntry[] => {
      this.#fullScraped(host, protocol)
      return this.#allowed === undefined ? entries : entries.filter((e) => this.isAllowed(e.infoHash))
    }
    const result = this.#callStore(() => store.fullScrape!(this.maxFullScrape))
    return isPromise(result) ? result.then(done) : done(result)
  }

  /**
   * The encoded answer of a recent full scrape while it is fresh (at most `fullScrapeCacheMs` old; the
   * transport stores it in {@link fullScrapeCache}), counted as a scrape; undefined when there is none.
   * Throws like {@link fullScrape} when full scrapes are off.
   */
  cachedFullScrape(host: string, protocol: Protocol): Uint8Array | undefined {
    this.#checkFullScrape()
    const c = this.fullScrapeCache
    if (c === undefined || c.expires <= Date.now()) return undefined
    this.#fullScraped(host, protocol)
    return c.body
  }

  #checkFullScrape(): PeerStore {
    if (this.maxFullScrape === 0 || this.store.fullScrape === undefined) {
      throw new TrackerServerError(
        'TRACKER_SERVER_BAD_SCRAPE',
        'full scrape is not supported by this tracker: give info_hash',
      )
    }
    return this.store
  }

  #fullScraped(host: string, protocol: Protocol): void {
    this.counters.scrapes[protocol]++
    this.#emit('scrape', { protocol, host, infoHashes: [], full: true })
  }

  /** Records and reports a refused request; returns the text to send back. */
  failure(err: unknown, protocol: Protocol, host: string): string {
    const e =
      err instanceof TrackerServerError
        ? err
        : new TrackerServerError('TRACKER_SERVER_STORE', 'internal tracker error', { cause: err })
    this.counters.failed(e.code)
    this.#emit('failure', { protocol, host, code: e.code, message: e.message })
    if (e.code === 'TRACKER_SERVER_STORE') {
      this.log({ level: 'error', msg: 'store failure', protocol, host, err: e.cause ?? e })
    } else {
      this.log({ level: 'debug', msg: 'request refused', protocol, host, code: e.code, reason: e.message })
    }
    return e.code === 'TRACKER_SERVER_STORE' ? 'tracker storage unavailable, retry later' : e.message
  }

  #callStore<T>(call: () => MaybePromise<T>): MaybePromise<T> {
    try {
      const r = call()
      return isPromise(r) ? r.catch((cause) => Promise.reject(storeError(cause))) : r
    } catch (cause) {
      throw storeError(cause)
    }
  }
}

/** A store's refusal as it is; anything else it throws as `TRACKER_SERVER_STORE`. */
function storeError(cause: unknown): TrackerServerError {
  return cause instanceof TrackerServerError
    ? cause
    : new TrackerServerError(
        'TRACKER_SERVER_STORE',
        `peer store failed: ${(cause as Error)?.message ?? cause}`,
        {
          cause,
        },
      )
}

function int(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TrackerServerError(
      'TRACKER_SERVER_BAD_OPTION',
      `${name} must be an integer in ${min}..${max}, got ${value}`,
    )
  }
  return value
}
