import { randomInt } from 'node:crypto'
import type { PeerAddress } from '@p2p/peer-address'
import { type OneShotOptions, announce as oneShotAnnounce, scrape as oneShotScrape } from './announce.js'
import { TrackerClientError } from './errors.js'
import { byteCount, checkAnnounceParams, toHex } from './params.js'
import { TrackerTiers } from './tracker-tiers.js'
import { TypedEmitter } from './typed-emitter.js'
import type { AnnounceEvent, AnnounceParams, AnnounceResponse, ScrapeStats } from './types.js'

/** Default time allowed for one tracker before the next one is tried, ms. */
export const DEFAULT_TRACKER_TIMEOUT_MS = 15_000
/** Default bound on sending `stopped` when stopping, ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 5_000
/** Default first retry delay after every tracker failed, ms (doubles on each failure). */
export const DEFAULT_RETRY_INITIAL_MS = 15_000
/** Default longest retry delay, ms. */
export const DEFAULT_RETRY_MAX_MS = 30 * 60_000
/** Default shortest re-announce interval accepted from a tracker, seconds (a hostile `interval: 0` cannot make us hammer it). */
export const DEFAULT_MIN_ANNOUNCE_INTERVAL_S = 30
/** Longest re-announce interval honoured, seconds (one day; also keeps timers in range). */
export const MAX_ANNOUNCE_INTERVAL_S = 86_400
/** Default number of peers asked for. */
export const DEFAULT_NUMWANT = 50

/** The one-shot announce function {@link TrackerClient} calls (injectable for tests and custom transports). */
export type Announcer = (
  url: string,
  params: AnnounceParams,
  options: OneShotOptions,
) => Promise<AnnounceResponse>

/** Transfer numbers reported to trackers. */
export interface TransferStats {
  /** Bytes uploaded so far. */
  uploaded?: number | bigint
  /** Bytes downloaded so far. */
  downloaded?: number | bigint
  /** Bytes still missing (0 when seeding). */
  left?: number | bigint
}

/** Options of {@link TrackerClient}. */
export interface TrackerClientOptions extends TransferStats {
  /** The 20-byte info hash. */
  infoHash: Uint8Array
  /** Our 20-byte peer id. */
  peerId: Uint8Array
  /** The TCP port we accept peers on. */
  port: number
  /** Tiers of tracker URLs (BEP 12 `announce-list`, or `[[announce]]`). */
  announce: readonly (readonly string[])[]
  /** Peers asked for per announce. Default 50. */
  numwant?: number
  /** The session key (BEP 7/15). Default: random 32 bits. */
  key?: number
  /** Time allowed per tracker, ms. Default 15 s. */
  timeout?: number
  /** Bound on sending `stopped` in {@link TrackerClient.stop}, ms. Default 5 s. */
  stopTimeout?: number
  /** Back-off after a round where every tracker failed: `initialMs * 2^(failures-1)` up to `maxMs`, ±10 % jitter. */
  retry?: { initialMs?: number; maxMs?: number }
  /** Shortest re-announce interval accepted, seconds. Default 30. */
  minAnnounceInterval?: number
  /** Stops the client without sending `stopped` (a teardown); use {@link TrackerClient.stop} for a clean stop. */
  signal?: AbortSignal
  /** Options passed to every request (UDP retransmission, response bounds, UDP transport...). */
  requestOptions?: Omit<OneShotOptions, 'signal' | 'timeout'>
  /** The announce function. Default: {@link announce}. */
  announcer?: Announcer
  /** `[0, 1)` random source for shuffling tiers and jitter. Default `Math.random`. */
  random?: () => number
}

/** An announce answer with the tracker it came from. */
export type TrackerUpdate = AnnounceResponse & {
  /** The tracker that answered. */
  url: string
}

/** A non-fatal report: a tracker's `warning message`, or one tracker failing while others may still answer. */
export interface TrackerWarning {
  /** The tracker concerned. */
  url: string
  /** Human-readable text. */
  message: string
  /** The failure, when this warning is one tracker failing. */
  error?: TrackerClientError
}

/**
 * Events of {@link TrackerClient}:
 * - `peers` (peers, url): peers from an announce answer (only when there are some);
 * - `update` (update): every successful announce, with interval and swarm numbers;
 * - `warning` (warning): a tracker's warning message, or one tracker of the walk failing;
 * - `error` (error): a whole round failed (`TRACKER_ALL_FAILED`, `cause` = last failure); the client
 *   retries with back-off. Unlike Node's emitter, an unheard `error` does not throw.
 */
export type TrackerClientEvents = {
  /** Peers from an announce answer. */
  peers: (peers: PeerAddress[], url: string) => void
  /** A successful announce. */
  update: (update: TrackerUpdate) => void
  /** A non-fatal report. */
  warning: (warning: TrackerWarning) => void
  /** A round in which every tracker failed. */
  error: (error: TrackerClientError) => void
}

type State = 'idle' | 'running' | 'stopping'

/**
 * Keeps one torrent announced to its trackers: BEP 12 tiers, `started` / `completed` / `stopped` events,
 * periodic re-announces honouring `interval` and `min interval`, exponential back-off when every tracker
 * fails, and a bounded `stopped` on {@link TrackerClient.stop}.
 *
 * @example
 * ```ts
 * const client = new TrackerClient({ infoHash, peerId, port: 6881, announce: [['udp://127.0.0.1:6969']], left })
 * client.on('peers', (peers) => peers.forEach(dial))
 * client.on('error', (err) => console.warn(err.code, err.cause))
 * client.start()
 * client.update({ downloaded, left })   // as the download goes
 * client.complete()                     // when done
 * await client.stop()                   // sends `stopped`, bounded
 * ```
 */
export class TrackerClient extends TypedEmitter<TrackerClientEvents> {
  readonly #options: TrackerClientOptions
  readonly #tiers: TrackerTiers
  readonly #announcer: Announcer
  readonly #random: () => number
  readonly #key: number
  readonly #stats: { uploaded: number | bigint; downloaded: number | bigint; left: number | bigint }
  /** Trackers that accepted us (got `started` or any answer): they get `stopped` later. */
  readonly #joined = new Set<string>()
  readonly #trackerIds = new Map<string, string>()
  #state: State = 'idle'
  #timer: ReturnType<typeof setTimeout> | undefined
  #round: AbortController | undefined
  #again = false
  #pendingCompleted = false
  #failures = 0
  #lastAnnounceAt = Number.NEGATIVE_INFINITY
  #minIntervalS = 0
  #last: TrackerUpdate | undefined

  /** @throws {TrackerClientError} `TRACKER_INVALID_PARAMS` or `TRACKER_NO_TRACKERS`. */
  constructor(options: TrackerClientOptions) {
    super()
    this.#options = options
    this.#stats = {
      uploaded: options.uploaded ?? 0,
      downloaded: options.downloaded ?? 0,
      left: options.left ?? 0,
    }
    this.#key = options.key ?? randomInt(0, 0xffffffff)
    this.#random = options.random ?? Math.random
    this.#announcer = options.announcer ?? ((url, params, o) => oneShotAnnounce(url, params, o))
    checkAnnounceParams(this.#params('none', undefined))
    this.#tiers = new TrackerTiers(options.announce, this.#random)
    if (this.#tiers.size === 0) {
      throw new TrackerClientError('TRACKER_NO_TRACKERS', 'no usable tracker URL in the announce list')
    }
    options.signal?.addEventListener('abort', () => this.#teardown(), { once: true })
  }

  /** The tiers in their current order (shuffled, answering trackers promoted). */
  get tiers(): string[][] {
    return this.#tiers.tiers
  }

  /** The last successful announce answer, if any. */
  get lastUpdate(): TrackerUpdate | undefined {
    return this.#last
  }

  /** Whether the client is announcing (started and not stopped). */
  get running(): boolean {
    return this.#state === 'running'
  }

  /** Starts announcing: a `started` announce now, then regular ones. Does nothing if already running. */
  start(): void {
    if (this.#state !== 'idle' || this.#options.signal?.aborted) return
    this.#state = 'running'
    this.#schedule(0)
  }

  /** Records new transfer numbers, sent with the next announce (it does not announce by itself). */
  update(stats: TransferStats): void {
    // Check first, so a bad number leaves the previous ones in place.
    for (const name of ['uploaded', 'downloaded', 'left'] as const) byteCount(stats[name], name)
    if (stats.uploaded !== undefined) this.#stats.uploaded = stats.uploaded
    if (stats.downloaded !== undefined) this.#stats.downloaded = stats.downloaded
    if (stats.left !== undefined) this.#stats.left = stats.left
  }

  /** Announces `completed` now (sets `left` to 0). */
  complete(): void {
    this.#stats.left = 0
    this.#pendingCompleted = true
    if (this.#state === 'running') this.#schedule(0)
  }

  /**
   * Asks for a re-announce as soon as the tracker's `min interval` allows (e.g. to get more peers).
   */
  announce(): void {
    if (this.#state !== 'running') return
    const earliest = this.#lastAnnounceAt + this.#minIntervalS * 1000
    this.#schedule(Math.max(0, earliest - Date.now()))
  }

  /**
   * Scrapes the torrent on the first tracker (in tier order) that answers a scrape.
   * @returns the swarm numbers, or `undefined` when the tracker does not know the torrent.
   * @throws {TrackerClientError} `TRACKER_ALL_FAILED` when no tracker answered (`cause` = last failure).
   */
  async scrape(options: { signal?: AbortSignal } = {}): Promise<ScrapeStats | undefined> {
    let last: unknown
    for (const { url } of this.#tiers.order()) {
      try {
        const res = await oneShotScrape(url, [this.#options.infoHash], {
          ...this.#options.requestOptions,
          timeout: this.#options.timeout ?? DEFAULT_TRACKER_TIMEOUT_MS,
          signal: options.signal,
        })
        return res.files.get(toHex(this.#options.infoHash))
      } catch (err) {
        if ((err as TrackerClientError).code === 'TRACKER_ABORTED') throw err
        last = err
      }
    }
    throw new TrackerClientError('TRACKER_ALL_FAILED', 'no tracker answered the scrape', { cause: last })
  }

  /**
   * Stops announcing and tells every tracker that accepted us (`stopped`), in parallel and bounded by
   * `stopTimeout`. Never rejects: failures to deliver `stopped` are reported as warnings.
   */
  async stop(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state !== 'running') return
    this.#state = 'stopping'
    this.#cancel()
    const timeout = this.#options.stopTimeout ?? DEFAULT_STOP_TIMEOUT_MS
    const joined = [...this.#joined]
    this.#joined.clear()
    // The bound holds even for an announcer that ignores `timeout`: the signal ends it too.
    const deadline = new AbortController()
    const timer = setTimeout(
      () =>
        deadline.abort(new TrackerClientError('TRACKER_TIMEOUT', `stopped not sent within ${timeout} ms`)),
      timeout,
    )
    const signal = combine(deadline.signal, options.signal, this.#options.signal)
    try {
      await Promise.all(
        joined.map((url) =>
          abortable(
            this.#announcer(url, this.#params('stopped', this.#trackerIds.get(url)), {
              ...this.#options.requestOptions,
              timeout,
              signal,
            }),
            signal,
          ).catch((err: unknown) => this.#warnFailure(url, err)),
        ),
      )
    } finally {
      clearTimeout(timer)
    }
    if (this.#state === 'stopping') this.#state = 'idle'
  }

  #teardown(): void {
    this.#cancel()
    this.#joined.clear()
    this.#state = 'idle'
  }

  #cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#round?.abort()
    this.#again = false
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#runRound()
    }, delayMs)
  }

  /** One BEP 12 round; a request for another round while one runs is served right after it. */
  async #runRound(): Promise<void> {
    if (this.#state !== 'running') return
    if (this.#round) {
      this.#again = true
      return
    }
    const round = new AbortController()
    this.#round = round
    try {
      const res = await this.#walk(round.signal)
      this.#failures = 0
      const intervalS = clamp(
        Math.max(res.interval, res.minInterval ?? 0),
        this.#options.minAnnounceInterval ?? DEFAULT_MIN_ANNOUNCE_INTERVAL_S,
        MAX_ANNOUNCE_INTERVAL_S,
      )
      if (this.#state === 'running') this.#schedule(intervalS * 1000)
    } catch (err) {
      if (round.signal.aborted || this.#state !== 'running') return
      this.#failures++
      const error =
        err instanceof TrackerClientError
          ? err
          : new TrackerClientError('TRACKER_ALL_FAILED', String(err), { cause: err })
      this.emit('error', error)
      this.#schedule(this.#backoff())
    } finally {
      this.#round = undefined
      if (this.#again && this.#state === 'running') {
        this.#again = false
        this.#schedule(0)
      }
    }
  }

  async #walk(signal: AbortSignal): Promise<TrackerUpdate> {
    let last: unknown
    for (const { url } of this.#tiers.order()) {
      const completing = this.#pendingCompleted
      const event: AnnounceEvent = completing ? 'completed' : this.#joined.has(url) ? 'none' : 'started'
      let res: AnnounceResponse
      try {
        res = await abortable(
          this.#announcer(url, this.#params(event, this.#trackerIds.get(url)), {
            ...this.#options.requestOptions,
            timeout: this.#options.timeout ?? DEFAULT_TRACKER_TIMEOUT_MS,
            signal,
          }),
          signal,
        )
      } catch (err) {
        if (signal.aborted) throw err
        last = err
        this.#warnFailure(url, err)
        continue
      }
      if (signal.aborted) throw signal.reason
      this.#lastAnnounceAt = Date.now()
      this.#minIntervalS = res.minInterval ?? 0
      this.#tiers.promote(url)
      this.#joined.add(url)
      if (completing) this.#pendingCompleted = false
      if (res.trackerId !== undefined) this.#trackerIds.set(url, res.trackerId)
      const update: TrackerUpdate = { ...res, url }
      this.#last = update
      if (res.warning !== undefined) this.emit('warning', { url, message: res.warning })
      this.emit('update', update)
      if (res.peers.length > 0) this.emit('peers', res.peers, url)
      return update
    }
    throw new TrackerClientError('TRACKER_ALL_FAILED', `all ${this.#tiers.size} trackers failed`, {
      cause: last,
    })
  }

  #warnFailure(url: string, err: unknown): void {
    const error =
      err instanceof TrackerClientError
        ? err
        : new TrackerClientError('TRACKER_BAD_RESPONSE', String(err), { url, cause: err })
    this.emit('warning', { url, message: error.message, error })
  }

  #backoff(): number {
    const initial = this.#options.retry?.initialMs ?? DEFAULT_RETRY_INITIAL_MS
    const max = this.#options.retry?.maxMs ?? DEFAULT_RETRY_MAX_MS
    const base = Math.min(max, initial * 2 ** Math.min(this.#failures - 1, 30))
    return Math.round(base * (0.9 + 0.2 * this.#random()))
  }

  #params(event: AnnounceEvent, trackerId: string | undefined): AnnounceParams {
    const o = this.#options
    return {
      infoHash: o.infoHash,
      peerId: o.peerId,
      port: o.port,
      ...this.#stats,
      event,
      numwant: event === 'stopped' ? 0 : (o.numwant ?? DEFAULT_NUMWANT),
      key: this.#key,
      trackerId,
    }
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function combine(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined)
  if (present.length <= 1) return present[0]
  return AbortSignal.any(present)
}
