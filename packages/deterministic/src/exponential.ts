/**
 * An exponentially distributed sample with `mean` from a uniform generator in [0, 1) (the
 * inter-arrival times of a Poisson process, lifetimes under churn).
 */
export function exponential(random: () => number, mean: number): number {
  return -Math.log(1 - random()) * mean
}
