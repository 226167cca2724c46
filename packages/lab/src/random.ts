/** Deterministic PRNG (mulberry32 of `@p2p/deterministic`) so churn schedules repeat run to run. */
export { mulberry32 as seededRandom } from '@p2p/deterministic'

/** Exponentially distributed sample with `mean` (inter-arrival times of a Poisson process). */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
