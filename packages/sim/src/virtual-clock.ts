/** The simulator's virtual time (from `@p2p/deterministic`). */
export { VirtualClock } from '@p2p/deterministic'
