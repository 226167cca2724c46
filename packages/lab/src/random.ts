/**
 * Deterministic randomness of `@p2p/deterministic` so churn schedules repeat run to run: a PRNG
 * (mulberry32) and exponential samples (Poisson arrivals, lifetimes).
 */
export { exponential, mulberry32 as seededRandom } from '@p2p/deterministic'
