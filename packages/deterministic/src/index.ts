/**
 * Deterministic time and randomness for simulations and seed-replayable tests: a
 * {@link VirtualClock} (timers in time order, driven one timer at a time or by a span of virtual
 * time) and seeded generators ({@link mulberry32}, a function of floats; {@link Prng}, sfc32 with
 * integers, picks and bytes). The same seed always gives the same run.
 *
 * @example
 * ```ts
 * import { Prng, VirtualClock } from '@p2p/deterministic'
 * const rng = new Prng(7)
 * const clock = new VirtualClock()
 * clock.setTimeout(() => console.log(rng.int(1, 6)), 100)
 * while (clock.runNext()) {}
 * ```
 * @packageDocumentation
 */
export { exponential } from './exponential.js'
export { mulberry32 } from './mulberry32.js'
export { Prng } from './prng.js'
export { VirtualClock } from './virtual-clock.js'
