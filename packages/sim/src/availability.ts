import type { PieceAvailability } from './piece-swarm-types.js'

/**
 * Availability at `t` from the copies of each piece among the `present` leechers (present > 0):
 * fewest, mean and most copies of a piece, as fractions of the leechers present.
 */
export function availabilityOf(t: number, copies: Uint32Array, present: number): PieceAvailability {
  let min = Number.POSITIVE_INFINITY
  let max = 0
  let sum = 0
  for (const c of copies) {
    min = Math.min(min, c)
    max = Math.max(max, c)
    sum += c
  }
  const k = present
  return { t, present: k, min: min / k, mean: sum / copies.length / k, max: max / k }
}
