/** Default width of the window a `RateMeter` averages over, ms. */
export const RATE_WINDOW_MS = 5_000

/** Default window of a {@link RateMeter} in seconds ({@link RATE_WINDOW_MS} / 1000). */
export const RATE_WINDOW_SECONDS = RATE_WINDOW_MS / 1000

/** How a {@link RateMeter} slices and averages time. */
export interface RateMeterOptions {
  /** Width of one slot of the window, ms (default 1000); the window is a whole number of slots. */
  slotMs?: number
  /** Width of the window, ms (default {@link RATE_WINDOW_MS}). */
  windowMs?: number
  /**
   * Read the clock on every {@link RateMeter.add}: the bytes land in the slot of that moment and
   * {@link RateMeter.last} is kept. Default false: adding only sums, and the bytes go into the slot
   * current at the next {@link RateMeter.flush} (for hot paths flushed by a regular tick).
   */
  clockOnAdd?: boolean
  /**
   * While the meter is younger than its window, average over its age (at least one slot) instead of
   * over the whole window (default false).
   */
  averageOverAge?: boolean
}

/**
 * Bytes per second over a sliding window kept in fixed slots (no timers).
 *
 * @example
 * ```ts
 * const m = new RateMeter()
 * m.add(16384)
 * m.rate() // bytes/s over the last few seconds
 * ```
 */
export class RateMeter {
  readonly #slots: Float64Array
  readonly #slotMs: number
  readonly #windowMs: number
  readonly #clockOnAdd: boolean
  readonly #averageOverAge: boolean
  readonly #now: () => number
  readonly #started: number
  #slot: number
  #last: number
  /** Bytes added since the last fold into a slot (without `clockOnAdd`). */
  #pending = 0

  constructor(now: () => number = Date.now, options: RateMeterOptions = {}) {
    this.#slotMs = options.slotMs ?? 1000
    this.#windowMs = options.windowMs ?? RATE_WINDOW_MS
    this.#clockOnAdd = options.clockOnAdd ?? false
    this.#averageOverAge = options.averageOverAge ?? false
    this.#slots = new Float64Array(Math.max(1, Math.round(this.#windowMs / this.#slotMs)))
    this.#now = now
    this.#started = now()
    this.#last = this.#started
    this.#slot = Math.floor(this.#started / this.#slotMs)
  }

  #advance(now: number): void {
    const s = Math.floor(now / this.#slotMs)
    const n = this.#slots.length
    for (let k = Math.min(n, s - this.#slot); k > 0; k--) this.#slots[(s - k + 1) % n] = 0
    if (s > this.#slot) this.#slot = s
  }

  /** Records `bytes` (now with `clockOnAdd`, else at the next {@link RateMeter.flush}). */
  add(bytes: number): void {
    if (!this.#clockOnAdd) {
      this.#pending += bytes
      return
    }
    this.#last = this.#now()
    this.#advance(this.#last)
    this.#slots[this.#slot % this.#slots.length]! += bytes
  }

  /** Puts the bytes added since the last call into the current slot. */
  flush(): void {
    this.#advance(this.#now())
    this.#slots[this.#slot % this.#slots.length]! += this.#pending
    this.#pending = 0
  }

  /** Time of the last {@link RateMeter.add} with `clockOnAdd` (of the meter's creation before). */
  get last(): number {
    return this.#last
  }

  /** Average bytes per second over the window (see {@link RateMeterOptions.averageOverAge}). */
  rate(): number {
    this.flush()
    let sum = 0
    // Indexed: called for every refill of a request pipeline, and an iterator allocates.
    for (let i = 0; i < this.#slots.length; i++) sum += this.#slots[i]!
    const span = this.#averageOverAge
      ? Math.min(this.#windowMs, Math.max(this.#slotMs, this.#now() - this.#started))
      : this.#windowMs
    return (sum * 1000) / span
  }
}
