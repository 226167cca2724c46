/** Default requests per second allowed per client IP (a token bucket refilled at this rate). */
export const DEFAULT_RATE_LIMIT = 50
/** Default burst of the per-IP token bucket. */
export const DEFAULT_RATE_BURST = 200
/** Default number of client IPs tracked by the rate limiter; the least recently seen is forgotten. */
export const DEFAULT_RATE_MAX_CLIENTS = 100_000

/** Options of the per-IP rate limit (`rateLimit: false` in the server options disables it). */
export interface RateLimitOptions {
  /** Requests per second per IP (default {@link DEFAULT_RATE_LIMIT}). */
  perSecond?: number
  /** Burst size (default {@link DEFAULT_RATE_BURST}). */
  burst?: number
  /** Client IPs remembered (default {@link DEFAULT_RATE_MAX_CLIENTS}). */
  maxClients?: number
}

interface Bucket {
  tokens: number
  at: number
}

/** A bounded per-key token bucket. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>()
  readonly #rate: number
  readonly #burst: number
  readonly #max: number
  readonly #now: () => number

  constructor(options: RateLimitOptions = {}, now: () => number = Date.now) {
    this.#now = now
    this.#rate = options.perSecond ?? DEFAULT_RATE_LIMIT
    this.#burst = options.burst ?? DEFAULT_RATE_BURST
    this.#max = options.maxClients ?? DEFAULT_RATE_MAX_CLIENTS
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.#now()
    let b = this.#buckets.get(key)
    if (b) {
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) * this.#rate) / 1000)
      b.at = now
    } else {
      if (this.#buckets.size >= this.#max) this.#buckets.delete(this.#buckets.keys().next().value!)
      b = { tokens: this.#burst, at: now }
      this.#buckets.set(key, b)
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Clients currently tracked. */
  get size(): number {
    return this.#buckets.size
  }
}
