/** Seconds of history a {@link RateMeter} averages over. */
export const RATE_WINDOW_SECONDS = 5

/**
 * Bytes per second over the last few seconds, kept in one-second buckets (no timers).
 */
export class RateMeter {
  readonly #buckets = new Float64Array(RATE_WINDOW_SECONDS)
  #second = 0
  readonly #now: () => number

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

  /** Records `bytes` now. */
  add(bytes: number): void {
    this.#advance()
    this.#buckets[this.#second % RATE_WINDOW_SECONDS]! += bytes
  }

  /** Average bytes per second over the window. */
  rate(): number {
    this.#advance()
    let sum = 0
    for (const b of this.#buckets) sum += b
    return sum / RATE_WINDOW_SECONDS
  }
}
