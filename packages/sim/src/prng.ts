/** The seeded generator of the simulator (sfc32, from `@p2p/deterministic`). */
export { Prng } from '@p2p/deterministic'
