/** @internal Seconds between two regular choke rounds (BEP 3 / the classic tit-for-tat rhythm). */
export const CHOKE_INTERVAL_MS = 10_000
/** @internal Every this many rounds the optimistic unchoke rotates (30 s). */
export const OPTIMISTIC_ROUNDS = 3
/** @internal Default upload slots per torrent (including the optimistic one). */
export const DEFAULT_UPLOAD_SLOTS = 4

/** @internal What the choker needs to know about one peer. */
export interface ChokerPeer {
  /** Any stable key. */
  id: unknown
  /** The peer wants our data. */
  interested: boolean
  /** Bytes/s we receive from it (tit-for-tat while leeching). */
  downloadRate: number
  /** Bytes/s we send it (seed mode). */
  uploadRate: number
  /** The peer is a seed (it never needs our data). */
  seed?: boolean
}

/** @internal Options of {@link Choker}. */
export interface ChokerOptions {
  /** Upload slots including the optimistic one. Default {@link DEFAULT_UPLOAD_SLOTS}. */
  slots?: number
  /** `[0, 1)` random source. Default `Math.random`. */
  random?: () => number
}

/**
 * @internal Tit-for-tat choking: each round unchokes the interested peers that give us the most (by download
 * rate while leeching, by upload rate in seed mode, where ties rotate round robin), plus one
 * optimistic unchoke that rotates every {@link OPTIMISTIC_ROUNDS} rounds. The caller runs
 * {@link Choker.round} every {@link CHOKE_INTERVAL_MS} and applies the result.
 *
 * @example
 * ```ts
 * const choker = new Choker({ slots: 4 })
 * const unchoked = choker.round(peers, false)
 * for (const p of peers) unchoked.has(p.id) ? p.unchoke() : p.choke()
 * ```
 */
export class Choker {
  readonly #slots: number
  readonly #random: () => number
  #round = 0
  #optimistic: unknown
  /** Seed-mode rotation: peers served longest go to the back. */
  readonly #served = new Map<unknown, number>()

  constructor(options: ChokerOptions = {}) {
    const slots = options.slots ?? DEFAULT_UPLOAD_SLOTS
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`expected slots >= 1, got ${slots}`)
    this.#slots = slots
    this.#random = options.random ?? Math.random
  }

  /** Upload slots. */
  get slots(): number {
    return this.#slots
  }

  /** The current optimistic unchoke, if any. */
  get optimistic(): unknown {
    return this.#optimistic
  }

  /** One choke round: the ids to unchoke (all others get choked). */
  round(peers: readonly ChokerPeer[], seeding: boolean): Set<unknown> {
    const rotate = this.#round % OPTIMISTIC_ROUNDS === 0
    this.#round++
    const candidates = peers.filter((p) => p.interested && !p.seed)
    const ids = new Set(candidates.map((p) => p.id))
    for (const id of [...this.#served.keys()]) if (!ids.has(id)) this.#served.delete(id)
    const rate = (p: ChokerPeer) => (seeding ? p.uploadRate : p.downloadRate)
    const sorted = [...candidates].sort((a, b) => {
      const d = rate(b) - rate(a)
      if (d !== 0) return d
      // Equal rates (common in seed mode): the peer served fewer rounds goes first.
      return (this.#served.get(a.id) ?? 0) - (this.#served.get(b.id) ?? 0)
    })
    const regular = sorted.slice(0, this.#slots - 1)
    const out = new Set(regular.map((p) => p.id))
    if (rotate || this.#optimistic === undefined || !ids.has(this.#optimistic) || out.has(this.#optimistic)) {
      const rest = candidates.filter((p) => !out.has(p.id))
      this.#optimistic = rest.length ? rest[Math.floor(this.#random() * rest.length)]!.id : undefined
    }
    if (this.#optimistic !== undefined) out.add(this.#optimistic)
    for (const id of out) this.#served.set(id, (this.#served.get(id) ?? 0) + 1)
    return out
  }
}
