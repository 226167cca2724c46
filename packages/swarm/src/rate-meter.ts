import { type RateMeterOptions, RateMeter as WireRateMeter } from '@p2p/peer-wire'

export { RATE_WINDOW_MS } from '@p2p/peer-wire'

/** The swarm's meter settings: 250 ms slots, timed adds, averaged over the age while young. */
const SWARM_RATE: RateMeterOptions = { slotMs: 250, clockOnAdd: true, averageOverAge: true }

/**
 * @internal peer-wire's {@link WireRateMeter | RateMeter} with the swarm's settings: 250 ms slots,
 * each add timed (for {@link WireRateMeter.last}), and averaged over the time since creation
 * while that is shorter than the window.
 *
 * @example
 * ```ts
 * const m = new RateMeter()
 * m.add(16384)
 * m.rate() // bytes/s over the last few seconds
 * ```
 */
export class RateMeter extends WireRateMeter {
  constructor(now: () => number = () => performance.now()) {
    super(now, SWARM_RATE)
  }
}
