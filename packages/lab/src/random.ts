/** Deterministic PRNG (mulberry32, the DHT simulation's) so churn schedules repeat run to run. */
export { mulberry32 as seededRandom } from '@p2p/dht'

/** Exponentially distributed sample with `mean` (inter-arrival times of a Poisson process). */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
