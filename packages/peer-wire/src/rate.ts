/** Seconds of history a {@link RateMeter} averages over. */
export const RATE_WINDOW_SECONDS = 5

/**
 * Bytes per second over the last few seconds, kept in one-second buckets (no timers).
 */
export class RateMeter {
  readonly #buckets = new Float64Array(RATE_WINDOW_SECONDS)
  #second = 0
  readonly #now: () => number
  /** Bytes added since the last fold into a bucket (adding does not read the clock). */
  #pending = 0

  constructor(now: () => number = Date.now) {
    this.#now = now
    this.#second = Math.floor(now() / 1000)
  }

  #advance(): void {
    const second = Math.floor(this.#now() / 1000)
    const gap = second - this.#second
    if (gap <= 0) return
    for (let i = 1; i <= Math.min(gap, RATE_WINDOW_SECONDS); i++) {
      this.#buckets[(this.#second + i) % RATE_WINDOW_SECONDS] = 0
    }
    this.#second = second
  }

  /**
   * Records `bytes`. They are assigned to a second at the next {@link RateMeter.flush} or
   * {@link RateMeter.rate} call (the wire flushes every tick, at least once a second).
   */
  add(bytes: number): void {
    this.#pending += bytes
  }

  /** Puts the bytes added since the last call into the current second. */
  flush(): void {
    this.#advance()
    this.#buckets[this.#second % RATE_WINDOW_SECONDS]! += this.#pending
    this.#pending = 0
  }

  /** Average bytes per second over the window. */
  rate(): number {
    this.flush()
    let sum = 0
    for (const b of this.#buckets) sum += b
    return sum / RATE_WINDOW_SECONDS
  }
}
