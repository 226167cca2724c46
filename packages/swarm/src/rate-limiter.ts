import { systemClock, type WireClock } from '@p2p/peer-wire'
import { abortError } from './errors.js'

/**
 * @internal A token bucket: `rate` bytes per second with bursts of up to `burst` bytes. A rate of 0 or
 * `Infinity` means unlimited. Buckets chain: a per-torrent bucket with the client's global bucket
 * as `parent` takes from both.
 *
 * @example
 * ```ts
 * const global = new TokenBucket(1_000_000)
 * const perTorrent = new TokenBucket(500_000, { parent: global })
 * await perTorrent.take(16384, signal)
 * ```
 */
export class TokenBucket {
  #rate: number
  readonly #burst: number | undefined
  #tokens: number
  #last: number
  readonly #now: () => number
  readonly #clock: WireClock
  readonly #parent: TokenBucket | undefined

  constructor(
    rate: number,
    options: { burst?: number; parent?: TokenBucket; now?: () => number; clock?: WireClock } = {},
  ) {
    if (!(rate >= 0)) throw new RangeError(`expected a rate >= 0, got ${rate}`)
    this.#rate = rate
    this.#burst = options.burst
    this.#clock = options.clock ?? systemClock
    this.#now = options.now ?? (options.clock ? () => options.clock!.now() : () => performance.now())
    this.#last = this.#now()
    this.#tokens = this.#capacity()
    this.#parent = options.parent
  }

  #capacity(): number {
    // Default burst: a quarter second of traffic, at least one 16 KiB block.
    return this.#burst ?? Math.max(16_384, this.#rate / 4)
  }

  /** Bytes per second (0 = unlimited). */
  get rate(): number {
    return this.#rate
  }

  /** Changes the rate. */
  set rate(r: number) {
    this.#refill()
    this.#rate = r
    this.#tokens = Math.min(this.#tokens, this.#capacity())
  }

  /** The lowest rate of this bucket and its parents, bytes/s (0 = no limit anywhere). */
  get limit(): number {
    const own = this.#unlimitedSelf() ? 0 : this.#rate
    const up = this.#parent?.limit ?? 0
    return own && up ? Math.min(own, up) : own || up
  }

  /** Whether the bucket (and its parents) limit nothing. */
  get unlimited(): boolean {
    return this.#unlimitedSelf() && (this.#parent?.unlimited ?? true)
  }

  #unlimitedSelf(): boolean {
    return this.#rate === 0 || this.#rate === Number.POSITIVE_INFINITY
  }

  #refill(): void {
    const t = this.#now()
    if (!this.#unlimitedSelf())
      this.#tokens = Math.min(this.#capacity(), this.#tokens + ((t - this.#last) / 1000) * this.#rate)
    this.#last = t
  }

  /**
   * Takes `n` tokens now (the balance may go negative: large takes are allowed, later ones wait) and
   * returns the milliseconds until the balance is non-negative again (0: go ahead).
   */
  reserve(n: number): number {
    const parentWait = this.#parent?.reserve(n) ?? 0
    if (this.#unlimitedSelf()) return parentWait
    this.#refill()
    this.#tokens -= n
    const own = this.#tokens >= 0 ? 0 : (-this.#tokens / this.#rate) * 1000
    return Math.max(own, parentWait)
  }

  /** Gives back `n` tokens taken by {@link TokenBucket.reserve} for bytes that will not pass after all. */
  refund(n: number): void {
    this.#parent?.refund(n)
    if (this.#unlimitedSelf()) return
    this.#refill()
    this.#tokens = Math.min(this.#capacity(), this.#tokens + n)
  }

  /** Waits until `n` bytes may pass. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(n)
    if (wait <= 0) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#clock.clearTimeout(timer)
        reject(abortError(signal, 'rate limit wait'))
      }
      const timer = this.#clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.ceil(wait))
      if (signal?.aborted) onAbort()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
