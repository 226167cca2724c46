/** Deterministic PRNG (mulberry32) so churn schedules repeat run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Exponentially distributed sample with `mean` (inter-arrival times of a Poisson process). */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
