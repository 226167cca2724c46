/** Queries per second one address may send before answers stop (a token bucket). */
export const DEFAULT_RATE_PER_SECOND = 20
/** Burst allowed above the steady rate. */
export const DEFAULT_RATE_BURST = 40
/** Addresses tracked at once; the oldest are forgotten first (bounded memory under spoofing). */
const MAX_TRACKED = 4096

/**
 * A per-address token bucket: each address may send `rate` messages per second with bursts of
 * `burst`, so the node cannot be used to amplify traffic toward a spoofed source.
 */
export class RateLimiter {
  readonly #rate: number
  readonly #burst: number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(rate = DEFAULT_RATE_PER_SECOND, burst = DEFAULT_RATE_BURST) {
    this.#rate = rate
    this.#burst = burst
  }

  /** Takes one token for `key` at `now`; false when the address is over its rate. */
  allow(key: string, now: number): boolean {
    let b = this.#buckets.get(key)
    if (b) {
      this.#buckets.delete(key)
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate)
      b.at = now
    } else {
      b = { tokens: this.#burst, at: now }
      if (this.#buckets.size >= MAX_TRACKED) this.#buckets.delete(this.#buckets.keys().next().value!)
    }
    this.#buckets.set(key, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }
}
