import { median, type Spread, spread } from './repeats.js'

/** A share in 0..1 over repeated runs, or INCONCLUSIVE with the reason no number is meaningful. */
export type Share = { spread: Spread } | { inconclusive: string }

/** Widest min–max range (as a share) a gap-closed figure may have and still be given as a number. */
export const MAX_SHARE_RANGE = 0.5

const clamp01 = (x: number) => Math.min(1, Math.max(0, x))

/**
 * Capacity recovered, from bytes: what the NATed leechers got from each other in each run of a
 * variant, as a share of what the same leechers (same positions in the swarm) got from each other
 * when every host was public (the median over the public runs). Without traversal two NATed peers
 * cannot connect, so this is 0 there; it is their otherwise unusable upload capacity put back to
 * use. Each run's share is clamped to 0..1 (a run may trade more than the public median); no public
 * trading to compare with is INCONCLUSIVE.
 */
export function tradingRecovered(variant: number[], allPublic: number[]): Share {
  const reference = median(allPublic)
  if (!(reference > 0)) return { inconclusive: 'no leecher-to-leecher trading in the all-public runs' }
  if (variant.length === 0) return { inconclusive: 'no runs' }
  return { spread: spread(variant.map((b) => clamp01(b / reference))) }
}

/**
 * The share of the gap between the NAT-without-traversal and the all-public download time that a
 * variant closes, (T_nat − T_variant) / (T_nat − T_public), given as the medians' value with an
 * interval from the min–max ranges (the most and least it can be, given every run), all clamped to
 * 0..1. INCONCLUSIVE when it cannot mean anything: fewer than two runs of any of the three, the
 * NAT and public ranges overlap (the gap is within the run-to-run noise), or the interval is wider
 * than {@link MAX_SHARE_RANGE}.
 */
export function gapClosed(nat: number[], variant: number[], allPublic: number[]): Share {
  if (Math.min(nat.length, variant.length, allPublic.length) < 2)
    return { inconclusive: 'needs at least 2 finished runs of nat, public and the variant' }
  const n = spread(nat)
  const v = spread(variant)
  const p = spread(allPublic)
  if (p.max >= n.min) return { inconclusive: 'nat and public download times overlap' }
  const low = clamp01((n.min - v.max) / (n.max - p.min))
  const high = clamp01((n.max - v.min) / (n.min - p.max))
  if (high - low > MAX_SHARE_RANGE)
    return {
      inconclusive: `spread ${(low * 100).toFixed(0)}–${(high * 100).toFixed(0)}% too wide`,
    }
  const mid = clamp01((n.median - v.median) / (n.median - p.median))
  return { spread: { median: mid, min: low, max: high, n: v.n, missing: 0 } }
}

/** `62% (40–85%)`, just `62%` for one run, or `INCONCLUSIVE (reason)`. */
export function formatShare(s: Share): string {
  if ('inconclusive' in s) return `INCONCLUSIVE (${s.inconclusive})`
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`
  const { median: m, min, max, n } = s.spread
  return n === 1 || min === max ? pct(m) : `${pct(m)} (${pct(min)}–${pct(max)})`
}
