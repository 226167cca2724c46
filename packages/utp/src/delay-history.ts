import { stampLess } from './seq.js'

/** How long a base-delay bucket lasts (BEP 29: a sliding minimum "for the last two minutes"). */
const BUCKET_MS = 60_000
/** Buckets kept: the current minute and the one before. */
const BUCKETS = 2

/**
 * The sliding minimum of one-way delay samples (the "base delay" of BEP 29 and RFC 6817). Samples are
 * 32-bit microsecond differences of unsynchronised clocks, so only their differences mean anything and
 * comparisons wrap around.
 */
export class DelayHistory {
  #buckets: number[] = []
  #bucketStart = 0
  #base = 0

  /** Whether a sample has been added. */
  get initialized(): boolean {
    return this.#buckets.length > 0
  }

  /** The base delay (the minimum sample of the window). */
  get base(): number {
    return this.#base
  }

  /** Adds a sample taken at `now` (ms) and returns its queueing delay above the base, in microseconds. */
  add(sample: number, now: number): number {
    if (this.#buckets.length === 0) {
      this.#buckets.push(sample)
      this.#bucketStart = now
      this.#base = sample
      return 0
    }
    if (now - this.#bucketStart >= BUCKET_MS) {
      this.#bucketStart = now
      this.#buckets.push(sample)
      if (this.#buckets.length > BUCKETS) this.#buckets.shift()
      this.#base = this.#buckets.reduce((min, s) => (stampLess(s, min) ? s : min))
    }
    const last = this.#buckets.length - 1
    if (stampLess(sample, this.#buckets[last]!)) this.#buckets[last] = sample
    if (stampLess(sample, this.#base)) this.#base = sample
    return (sample - this.#base) >>> 0
  }
}
