import { parseTrackerUrl } from './tracker-url.js'

/** One tracker in the walk order. */
export interface TierEntry {
  /** The tracker URL. */
  url: string
  /** Index of its tier. */
  tier: number
}

/**
 * The announce-list of one torrent, in BEP 12 order: tiers in order, each tier shuffled once, and a
 * tracker that answers moved to the front of its tier. URLs that cannot be used and duplicates are
 * dropped, as are tiers left empty.
 *
 * @example
 * ```ts
 * const tiers = new TrackerTiers([['udp://a:1', 'udp://b:1'], ['http://backup/announce']])
 * for (const { url } of tiers.order()) { ... if (ok) { tiers.promote(url); break } }
 * ```
 */
export class TrackerTiers {
  readonly #tiers: string[][]

  /**
   * @param tiers the torrent's `announce-list` (or `[[announce]]`).
   * @param random a `[0, 1)` source for the shuffle (tests pass a fixed one).
   */
  constructor(tiers: readonly (readonly string[])[], random: () => number = Math.random) {
    const seen = new Set<string>()
    this.#tiers = []
    for (const tier of tiers) {
      const urls: string[] = []
      for (const raw of tier) {
        let url: string
        try {
          url = parseTrackerUrl(raw).url.href
        } catch {
          continue
        }
        if (seen.has(url)) continue
        seen.add(url)
        urls.push(url)
      }
      if (urls.length === 0) continue
      for (let i = urls.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[urls[i], urls[j]] = [urls[j]!, urls[i]!]
      }
      this.#tiers.push(urls)
    }
  }

  /** The tiers in their current order (copies). */
  get tiers(): string[][] {
    return this.#tiers.map((t) => [...t])
  }

  /** Number of trackers. */
  get size(): number {
    return this.#tiers.reduce((n, t) => n + t.length, 0)
  }

  /** Every tracker in the order to try them now (a snapshot, safe to promote while iterating). */
  order(): TierEntry[] {
    return this.#tiers.flatMap((urls, tier) => urls.map((url) => ({ url, tier })))
  }

  /** Moves `url` to the front of its tier (BEP 12: the tracker that answered is tried first next time). */
  promote(url: string): void {
    for (const urls of this.#tiers) {
      const i = urls.indexOf(url)
      if (i > 0) {
        urls.splice(i, 1)
        urls.unshift(url)
      }
    }
  }
}
