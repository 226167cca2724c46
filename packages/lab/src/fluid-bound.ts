/** Capacities of a swarm for the fluid model (bytes per second). */
export interface FluidSwarm {
  /** File size in bytes. */
  size: number
  /** Upload capacity of each seeder. */
  seederUp: number[]
  /** Download capacity of each leecher. */
  leecherDown: number[]
  /** Upload capacity of each leecher. */
  leecherUp: number[]
}

/**
 * Lower bound on the time (seconds) until all N leechers have the file, from the fluid model of
 * Kumar and Ross: T_min = max(F/u_seed, F/d_min, N*F/(u_seed + sum u_leechers)).
 *
 * @example
 * ```ts
 * fluidBound({ size: 64 * 2 ** 20, seederUp: [2.5e6], leecherDown: [6.25e6, 6.25e6], leecherUp: [2.5e6, 2.5e6] })
 * ```
 */
export function fluidBound(s: FluidSwarm): number {
  const n = s.leecherDown.length
  const uSeed = s.seederUp.reduce((a, b) => a + b, 0)
  const uAll = uSeed + s.leecherUp.reduce((a, b) => a + b, 0)
  const dMin = Math.min(...s.leecherDown)
  return Math.max(s.size / uSeed, n > 0 ? s.size / dMin : 0, (n * s.size) / uAll)
}
