/** @internal Width of the sliding window of a {@link RateMeter}, ms. */
export const RATE_WINDOW_MS = 5_000
const SLOT_MS = 250

/**
 * @internal Bytes per second over a sliding window of {@link RATE_WINDOW_MS} in 250 ms slots.
 *
 * @example
 * ```ts
 * const m = new RateMeter()
 * m.add(16384)
 * m.rate() // bytes/s over the last few seconds
 * ```
 */
export class RateMeter {
  readonly #slots = new Float64Array(RATE_WINDOW_MS / SLOT_MS)
  #slot = 0
  #started: number
  #last: number
  readonly #now: () => number

  constructor(now: () => number = () => performance.now()) {
    this.#now = now
    this.#started = now()
    this.#last = this.#started
    this.#slot = Math.floor(this.#started / SLOT_MS)
  }

  #advance(): void {
    const s = Math.floor(this.#now() / SLOT_MS)
    const n = this.#slots.length
    for (let k = Math.min(n, s - this.#slot); k > 0; k--) this.#slots[(s - k + 1) % n] = 0
    if (s > this.#slot) this.#slot = s
  }

  /** Records `bytes` now. */
  add(bytes: number): void {
    this.#last = this.#now()
    this.#advance()
    this.#slots[this.#slot % this.#slots.length]! += bytes
  }

  /** Time of the last {@link RateMeter.add} (of the meter's creation before the first). */
  get last(): number {
    return this.#last
  }

  /** Bytes per second over the window (or over the time since creation when shorter). */
  rate(): number {
    this.#advance()
    let sum = 0
    // Indexed: called for every refill of a request pipeline, and an iterator allocates.
    for (let i = 0; i < this.#slots.length; i++) sum += this.#slots[i]!
    const span = Math.min(RATE_WINDOW_MS, Math.max(SLOT_MS, this.#now() - this.#started))
    return (sum * 1000) / span
  }
}
