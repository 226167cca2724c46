/**
 * A token bucket for the RESETs we send to packets of unknown connections: at most `rate` per second
 * (bursts of `rate`), so spoofed floods cannot turn us into a reflector.
 */
export class ResetLimiter {
  readonly #rate: number
  #tokens: number
  #last: number

  constructor(rate: number, now: number) {
    this.#rate = rate
    this.#tokens = rate
    this.#last = now
  }

  /** Takes a token at `now` (ms); false when none is left. */
  take(now: number): boolean {
    this.#tokens = Math.min(this.#rate, this.#tokens + ((now - this.#last) * this.#rate) / 1000)
    this.#last = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
