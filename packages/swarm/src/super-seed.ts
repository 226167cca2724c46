import { Bitfield } from '@p2p/peer-wire'
import { SwarmError } from './errors.js'

/** @internal Pieces a peer may be shown at a time before one of them is seen on another peer (BEP 16). */
export const DEFAULT_SUPER_SEED_PIECES = 4
/**
 * @internal A peer that holds every piece shown to it and still waits for one to be seen elsewhere gets one
 * more after this long (no other peer takes pieces from it: a lone leecher must not stall).
 */
export const SUPER_SEED_STALL_MS = 3_000

/** @internal Options of {@link SuperSeeder}. */
export interface SuperSeederOptions {
  /** Number of pieces. */
  pieceCount: number
  /** Unconfirmed pieces shown to one peer at a time. Default {@link DEFAULT_SUPER_SEED_PIECES}. */
  piecesPerPeer?: number
  /** See {@link SUPER_SEED_STALL_MS}. */
  stallMs?: number
  /** `[0, 1)` random source (ties between equally rare pieces). Default `Math.random`. */
  random?: () => number
  /** Clock in ms. Default `Date.now`. */
  now?: () => number
}

interface SeededPeer {
  has: Bitfield
  /** Pieces we told it we have. */
  shown: Set<number>
  /** Shown pieces not yet seen on any other peer. */
  pending: Set<number>
  /** When it last got a new piece shown or had one confirmed. */
  since: number
}

/**
 * @internal BEP 16 super-seeding for an initial seed: the seed hides what it has and shows each peer a few
 * pieces, the ones fewest peers have or were shown (never-sent pieces first). A peer is shown a new
 * piece only once one it was shown turns up on another peer, so the seed's scarce upload goes to
 * pieces the swarm lacks and to peers that pass them on; leechers get everything else from each
 * other. Unlike the original algorithm (one piece at a time) a peer may hold
 * {@link SuperSeederOptions.piecesPerPeer} unconfirmed pieces, which keeps the seed's upload busy,
 * and a peer nobody takes pieces from gets more after {@link SUPER_SEED_STALL_MS}.
 *
 * The caller sends `have` for each index returned and serves only pieces {@link shown} to the peer.
 * Peers are identified by any object or value.
 *
 * @example
 * ```ts
 * const ss = new SuperSeeder({ pieceCount: 256 })
 * const show = (m: Map<Peer, number[]>) => {
 *   for (const [p, pieces] of m) for (const i of pieces) p.announceHave(i)
 * }
 * show(ss.addPeer(peer, peer.peerPieces)) // on its bitfield
 * show(ss.peerHas(peer, index)) // on every `have` from any peer
 * ```
 */
export class SuperSeeder<P = unknown> {
  readonly #n: number
  readonly #perPeer: number
  readonly #stallMs: number
  readonly #random: () => number
  readonly #now: () => number
  readonly #peers = new Map<P, SeededPeer>()
  /** How many registered peers have each piece. */
  readonly #availability: Uint32Array
  /** How many registered peers were shown each piece and do not have it yet. */
  readonly #shown: Uint32Array

  constructor(options: SuperSeederOptions) {
    const n = options.pieceCount
    if (!Number.isInteger(n) || n < 0) throw new SwarmError('SWARM_INVALID_ARGUMENT', `bad piece count ${n}`)
    const per = options.piecesPerPeer ?? DEFAULT_SUPER_SEED_PIECES
    if (!Number.isInteger(per) || per < 1)
      throw new SwarmError('SWARM_INVALID_ARGUMENT', `piecesPerPeer must be >= 1, got ${per}`)
    this.#n = n
    this.#perPeer = per
    this.#stallMs = options.stallMs ?? SUPER_SEED_STALL_MS
    this.#random = options.random ?? Math.random
    this.#now = options.now ?? Date.now
    this.#availability = new Uint32Array(n)
    this.#shown = new Uint32Array(n)
  }

  /** Number of registered peers. */
  get size(): number {
    return this.#peers.size
  }

  /** Whether `peer` is registered. */
  hasPeer(peer: P): boolean {
    return this.#peers.has(peer)
  }

  /** Whether we told `peer` we have piece `index` (only those are served in super-seed mode). */
  shown(peer: P, index: number): boolean {
    return this.#peers.get(peer)?.shown.has(index) ?? false
  }

  /** Pieces shown to `peer` that no other peer has yet. */
  pending(peer: P): number[] {
    return [...(this.#peers.get(peer)?.pending ?? [])]
  }

  /**
   * Registers a peer with what it has (its bitfield; `'all'` for a seed, which is never shown
   * anything); for a registered peer, adds what it has now. Returns, per peer, the pieces to show now: the new peer's first ones, and new ones
   * for peers whose pieces it already has.
   */
  addPeer(peer: P, has: { get(i: number): boolean } | 'all' | 'none'): Map<P, number[]> {
    const known = this.#peers.get(peer)
    if (known) {
      // Already registered (a bitfield after the handshake): what it has is added, nothing forgotten.
      const out = new Map<P, number[]>()
      for (let i = 0; i < this.#n; i++) {
        if (known.has.get(i) || (has !== 'all' && (has === 'none' || !has.get(i)))) continue
        for (const [p, pieces] of this.peerHas(peer, i)) this.#pushAll(out, p, pieces)
      }
      return out
    }
    const bits = new Bitfield(this.#n)
    for (let i = 0; i < this.#n; i++) {
      if (has === 'all' || (has !== 'none' && has.get(i))) {
        bits.set(i)
        this.#availability[i]!++
      }
    }
    this.#peers.set(peer, { has: bits, shown: new Set(), pending: new Set(), since: this.#now() })
    // Pieces it already had may confirm other peers' pieces.
    const out = new Map<P, number[]>()
    for (const i of bits.ones()) this.#confirm(peer, i, out)
    const mine = this.#fill(peer)
    if (mine.length) this.#pushAll(out, peer, mine)
    return out
  }

  /** A peer left: what it had or was shown no longer counts. */
  removePeer(peer: P): void {
    const sp = this.#peers.get(peer)
    if (!sp) return
    this.#peers.delete(peer)
    for (const i of sp.has.ones()) this.#availability[i]!--
    for (const i of sp.shown) if (!sp.has.get(i)) this.#shown[i]!--
  }

  /**
   * `peer` announced piece `index`. Returns, per peer, the pieces to show it now: the sender of a
   * piece seen on another peer gets a new one, and so may `peer`.
   */
  peerHas(peer: P, index: number): Map<P, number[]> {
    const out = new Map<P, number[]>()
    const sp = this.#peers.get(peer)
    if (!sp || index < 0 || index >= this.#n || !Number.isInteger(index) || sp.has.get(index)) return out
    sp.has.set(index)
    this.#availability[index]!++
    if (sp.shown.has(index)) this.#shown[index]!--
    // A piece nobody else could take from it counts as passed on (a lone leecher is not held back).
    if (sp.pending.has(index) && !this.#othersLack(peer, index)) {
      sp.pending.delete(index)
      sp.since = this.#now()
    }
    this.#confirm(peer, index, out)
    const mine = this.#fill(peer)
    if (mine.length) this.#pushAll(out, peer, mine)
    return out
  }

  /**
   * Peers stuck for {@link SUPER_SEED_STALL_MS} (they hold every piece shown to them, none was
   * seen elsewhere) get one more piece each. Call it now and then (e.g. every second or two).
   */
  refresh(): Map<P, number[]> {
    const out = new Map<P, number[]>()
    const now = this.#now()
    for (const [peer, sp] of this.#peers) {
      if (sp.has.full() || now - sp.since < this.#stallMs) continue
      let waiting = false
      for (const i of sp.pending) if (!sp.has.get(i)) waiting = true
      if (waiting) continue
      const i = this.#choose(sp)
      if (i === undefined) continue
      this.#show(sp, i)
      this.#pushAll(out, peer, [i])
    }
    return out
  }

  /** Some other peer than `peer` lacks `index`. */
  #othersLack(peer: P, index: number): boolean {
    for (const [p, sp] of this.#peers) if (p !== peer && !sp.has.get(index)) return true
    return false
  }

  /** `index` is now on `holder`: every other peer that was shown it is confirmed and may get more. */
  #confirm(holder: P, index: number, out: Map<P, number[]>): void {
    for (const [p, sp] of this.#peers) {
      if (p === holder || !sp.pending.delete(index)) continue
      sp.since = this.#now()
      const more = this.#fill(p)
      if (more.length) this.#pushAll(out, p, more)
    }
  }

  /** Shows `peer` pieces until it has {@link SuperSeederOptions.piecesPerPeer} pending. */
  #fill(peer: P): number[] {
    const sp = this.#peers.get(peer)
    const out: number[] = []
    if (!sp) return out
    while (sp.pending.size < this.#perPeer) {
      const i = this.#choose(sp)
      if (i === undefined) break
      this.#show(sp, i)
      out.push(i)
    }
    return out
  }

  #show(sp: SeededPeer, i: number): void {
    sp.shown.add(i)
    sp.pending.add(i)
    sp.since = this.#now()
    this.#shown[i]!++
  }

  /** The piece the peer lacks and was not shown that fewest peers have or were shown (random among equals). */
  #choose(sp: SeededPeer): number | undefined {
    let best: number | undefined
    let bestScore = Number.POSITIVE_INFINITY
    let ties = 0
    for (let i = 0; i < this.#n; i++) {
      if (sp.has.get(i) || sp.shown.has(i)) continue
      const score = this.#availability[i]! + this.#shown[i]!
      if (score < bestScore) {
        bestScore = score
        best = i
        ties = 1
      } else if (score === bestScore) {
        ties++
        if (this.#random() * ties < 1) best = i
      }
    }
    return best
  }

  #pushAll(out: Map<P, number[]>, peer: P, pieces: number[]): void {
    const list = out.get(peer)
    if (list) list.push(...pieces)
    else out.set(peer, [...pieces])
  }
}
