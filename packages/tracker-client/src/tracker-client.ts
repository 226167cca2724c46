import { randomInt } from 'node:crypto'
import { toHex } from '@p2p/bytes'
import { TypedEmitter } from '@p2p/events'
import { announce as oneShotAnnounce, scrape as oneShotScrape } from './announce.js'
import { TrackerClientError } from './errors.js'
import { byteCount, checkAnnounceParams } from './params.js'
import {
  type Announcer,
  DEFAULT_MIN_ANNOUNCE_INTERVAL_S,
  DEFAULT_NUMWANT,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  DEFAULT_TRACKER_TIMEOUT_MS,
  MAX_ANNOUNCE_INTERVAL_S,
  type TrackerClientEvents,
  type TrackerClientOptions,
  type TrackerUpdate,
  type TransferStats,
} from './tracker-client-options.js'
import { TrackerTiers } from './tracker-tiers.js'
import type { AnnounceEvent, AnnounceParams, AnnounceResponse, ScrapeStats } from './types.js'

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
    // The bound holds even for an announcer that ignores `timeout`: the signal ends it too.
    const deadline = new AbortController()
    const timer = setTimeout(
      () =>
        deadline.abort(new TrackerClientError('TRACKER_TIMEOUT', `stopped not sent within ${timeout} ms`)),
      timeout,
    )
    const signal = combine(deadline.signal, options.signal, this.#options.signal)
    try {
      // A `completed` not yet answered (stop right after complete(), or its round was just cancelled) goes
      // first, within the same bound: the tracker counts downloads from it and would never see this one.
      // The walk warns about each tracker that fails; a walk that ends with none answering is not an error.
      if (this.#pendingCompleted) await this.#walk(signal).catch(() => undefined)
      const joined = [...this.#joined]
      this.#joined.clear()
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

function combine(first: AbortSignal, ...others: (AbortSignal | undefined)[]): AbortSignal {
  const present = others.filter((s): s is AbortSignal => s !== undefined)
  return present.length === 0 ? first : AbortSignal.any([first, ...present])
}
