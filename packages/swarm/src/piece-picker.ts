import { Bitfield } from '@p2p/peer-wire'
import { SwarmError } from './errors.js'

/** @internal Bytes per block request (BEP 3: 2^14 is what every client sends and accepts). */
export const BLOCK_SIZE = 16_384
/** @internal Default number of pieces picked at random before rarest-first starts (spreads early pieces). */
export const DEFAULT_RANDOM_FIRST = 4

/** Priority of a piece or file when none is given (as libtorrent's `default_priority`). */
export const DEFAULT_PRIORITY = 4
/** Highest piece or file priority (libtorrent's `top_priority`). */
export const MAX_PRIORITY = 7

/** How new pieces are chosen: rarest-first (default), strictly in order (streaming), or at random. */
export type PickStrategy = 'rarest' | 'sequential' | 'random'

/** @internal One block to request. */
export interface BlockRequest {
  /** Piece index. */
  index: number
  /** Byte offset in the piece. */
  begin: number
  /** Length in bytes. */
  length: number
}

/** @internal Options of {@link PiecePicker}. */
export interface PiecePickerOptions {
  /** Number of pieces. */
  pieceCount: number
  /** Length in bytes of piece `index`. */
  pieceLength: (index: number) => number
  /** Block size. Default {@link BLOCK_SIZE}. */
  blockSize?: number
  /** Piece choice. Default `rarest`. */
  strategy?: PickStrategy
  /** Pieces picked at random before rarest-first starts. Default {@link DEFAULT_RANDOM_FIRST}. */
  randomFirst?: number
  /** `[0, 1)` random source. Default `Math.random`. */
  random?: () => number
}

/** @internal What {@link PiecePicker.received} found. */
export interface BlockArrival {
  /** The block was expected (false: not requested, already received or piece not active). */
  accepted: boolean
  /** Other peers that were asked for the same block (endgame): send them a cancel. */
  cancel: unknown[]
  /** Every block of the piece has arrived: verify it. */
  pieceComplete: boolean
  /**
   * The first block of this attempt at the piece: blocks received before (a piece restarted for a
   * peer on parole) were discarded, so were their senders.
   */
  first: boolean
}

/** @internal Something {@link PiecePicker.pick} can ask about a peer's pieces. */
export interface PeerPieces {
  /** Whether the peer has piece `i`. */
  get(i: number): boolean
}

const FREE = 0
/** `BlockArrival.cancel` when there is nobody to cancel (shared: callers only read it). */
const NO_PEERS: unknown[] = []
const REQUESTED = 1
const RECEIVED = 2
/** What {@link PiecePicker.received} returns for a block it does not take (shared: callers only read it). */
const REFUSED: BlockArrival = Object.freeze({
  accepted: false,
  cancel: NO_PEERS,
  pieceComplete: false,
  first: false,
})

/** Several peers asked for one block (endgame duplicates). */
class Owners {
  readonly set: Set<unknown>
  constructor(a: unknown, b: unknown) {
    this.set = new Set([a, b])
  }
}

/** Who was asked for a block: nobody, one peer (no allocation) or several. */
type BlockOwners = undefined | Owners | unknown

interface ActivePiece {
  index: number
  /** No FREE block before this one (keeps picking O(1) per block on big pieces). */
  cursor: number
  state: Uint8Array
  /** Per block: the peer(s) asked for it. */
  owners: BlockOwners[]
  /** Blocks with at least one owner. */
  owned: number
  received: number
  /** The peer on parole that downloads this piece alone (see {@link PiecePicker.pick}'s `exclusive`). */
  exclusive?: unknown
}

/**
 * @internal Decides which blocks to request from which peer, and owns that state: rarest-first with random
 * choice among equals (after a few random first pieces), or sequential / random strategies; partial
 * pieces are finished first; endgame duplicates the last outstanding blocks. Blocks of a peer that
 * chokes, rejects or leaves go back to the pool.
 *
 * Peers are identified by any object or value (`peer` keys).
 *
 * @example
 * ```ts
 * const p = new PiecePicker({ pieceCount: 10, pieceLength: () => 32768 })
 * p.addAvailability(peerBits)
 * for (const r of p.pick(peer, peerBits, 8)) wire.request(r.index, r.begin, r.length)
 * ```
 */
export class PiecePicker {
  /** Verified pieces. */
  readonly have: Bitfield
  readonly #wanted: Bitfield
  /** Piece priority 0..7 (0 = not wanted; higher is picked first). */
  readonly #priority: Uint8Array
  readonly #availability: Uint32Array
  /** `#availHist[v]`: pieces whose availability is `v` (gives a lower bound for rarest-first). */
  readonly #availHist: number[]
  /** Every piece in a random order (built on first use): ties are broken by it, not per scan. */
  #order: Uint32Array | undefined
  /** Pieces of `#order` before this position are verified (never candidates again). */
  #orderStart = 0
  /** Pieces before this index are verified (sequential scans start here). */
  #seqStart = 0
  /** Highest priority of any piece (undefined: recompute). */
  #maxPriority: number | undefined = DEFAULT_PRIORITY
  readonly #active = new Map<number, ActivePiece>()
  /** Per peer: blocks it owns (is asked for) in active pieces; a peer owing none has no entry. */
  readonly #outstanding = new Map<unknown, number>()
  readonly #pieceLength: (i: number) => number
  readonly #blockSize: number
  readonly #randomFirst: number
  readonly #random: () => number
  #strategy: PickStrategy
  /** Piece deadlines (libtorrent's `set_piece_deadline`): piece -> owner (a read stream) -> time. */
  readonly #deadlines = new Map<number, Map<unknown, number>>()

  constructor(options: PiecePickerOptions) {
    const n = options.pieceCount
    if (!Number.isInteger(n) || n < 0) throw new SwarmError('SWARM_INVALID_ARGUMENT', `bad piece count ${n}`)
    this.have = new Bitfield(n)
    this.#wanted = new Bitfield(n)
    this.#wanted.fill()
    this.#priority = new Uint8Array(n).fill(DEFAULT_PRIORITY)
    this.#availability = new Uint32Array(n)
    this.#availHist = [n]
    this.#pieceLength = options.pieceLength
    this.#blockSize = options.blockSize ?? BLOCK_SIZE
    this.#strategy = options.strategy ?? 'rarest'
    this.#randomFirst = options.randomFirst ?? DEFAULT_RANDOM_FIRST
    this.#random = options.random ?? Math.random
  }

  /** Current strategy. */
  get strategy(): PickStrategy {
    return this.#strategy
  }

  /** Changes the strategy for pieces not yet started. */
  set strategy(s: PickStrategy) {
    this.#strategy = s
  }

  /** Number of pieces. */
  get pieceCount(): number {
    return this.have.length
  }

  /** How many connected peers have piece `i`. */
  availability(i: number): number {
    return this.#availability[i] ?? 0
  }

  /** Counts a peer's pieces (its bitfield, or every piece for have-all). */
  addAvailability(bits: PeerPieces | 'all'): void {
    for (let i = 0; i < this.#availability.length; i++) if (bits === 'all' || bits.get(i)) this.#bump(i, 1)
  }

  /** Removes a departing peer's pieces from the counts. */
  removeAvailability(bits: PeerPieces | 'all'): void {
    for (let i = 0; i < this.#availability.length; i++) {
      if ((bits === 'all' || bits.get(i)) && this.#availability[i]! > 0) this.#bump(i, -1)
    }
  }

  /** A peer announced piece `i` (have). */
  addHave(i: number): void {
    if (i >= 0 && i < this.#availability.length) this.#bump(i, 1)
  }

  /** A peer no longer has piece `i` (BEP 54 dont-have). */
  removeHave(i: number): void {
    if (this.#availability[i]) this.#bump(i, -1)
  }

  #bump(i: number, delta: number): void {
    const h = this.#availHist
    const v = this.#availability[i]!
    h[v]!--
    this.#availability[i] = v + delta
    h[v + delta] = (h[v + delta] ?? 0) + 1
  }

  /** Sets piece `i`'s priority, 0 (skip) to {@link MAX_PRIORITY}: among pieces a peer has, higher ones start first. */
  setPriority(i: number, priority: number): void {
    if (i < 0 || i >= this.#priority.length) return
    const p = Math.max(0, Math.min(MAX_PRIORITY, Math.trunc(priority) || 0))
    this.#priority[i] = p
    this.#maxPriority = undefined
    this.#wanted.set(i, p > 0)
  }

  /** Priority of piece `i` (0 = not wanted). */
  priority(i: number): number {
    return this.#priority[i] ?? 0
  }

  /**
   * Gives piece `i` a deadline on behalf of `owner` (a read stream; several owners keep the earliest):
   * among the wanted pieces a peer has, the one with the earliest deadline starts first, before
   * priorities and strategy (libtorrent's `set_piece_deadline`). Dropped once the piece is verified.
   */
  setDeadline(i: number, owner: unknown, at: number): void {
    if (i < 0 || i >= this.have.length || this.have.get(i)) return
    let owners = this.#deadlines.get(i)
    if (!owners) {
      owners = new Map()
      this.#deadlines.set(i, owners)
    }
    owners.set(owner, at)
  }

  /** Removes `owner`'s deadlines, except those of the pieces in `keep`. */
  clearDeadlines(owner: unknown, keep?: ReadonlySet<number>): void {
    for (const [i, owners] of this.#deadlines) {
      if (keep?.has(i) || !owners.delete(owner)) continue
      if (owners.size === 0) this.#deadlines.delete(i)
    }
  }

  /** Whether piece `i` is wanted. */
  isWanted(i: number): boolean {
    return this.#wanted.get(i)
  }

  /** Whether every wanted piece is verified. */
  complete(): boolean {
    for (let i = 0; i < this.have.length; i++) if (this.#wanted.get(i) && !this.have.get(i)) return false
    return true
  }

  /** Number of wanted pieces not yet verified. */
  missing(): number {
    let n = 0
    for (let i = 0; i < this.have.length; i++) if (this.#wanted.get(i) && !this.have.get(i)) n++
    return n
  }

  /** Whether the peer has a piece we want and do not have. */
  interesting(bits: PeerPieces | 'all'): boolean {
    for (let i = 0; i < this.have.length; i++) {
      if (this.#wanted.get(i) && !this.have.get(i) && (bits === 'all' || bits.get(i))) return true
    }
    return false
  }

  /** Blocks requested from `peer` and not yet received. */
  outstanding(peer: unknown): number {
    return this.#outstanding.get(peer) ?? 0
  }

  /** Whether every missing block is already requested (duplicates are allowed then). */
  get endgame(): boolean {
    // No FREE block before a piece's cursor; verified pieces before #seqStart.
    for (const a of this.#active.values()) if (a.state.indexOf(FREE, a.cursor) !== -1) return false
    const n = this.have.length
    while (this.#seqStart < n && this.have.get(this.#seqStart)) this.#seqStart++
    for (let i = this.#seqStart; i < n; i++) {
      if (this.#wanted.get(i) && !this.have.get(i) && !this.#active.has(i)) return false
    }
    return true
  }

  /** The number of blocks in piece `i`. */
  blocksIn(i: number): number {
    return Math.ceil(this.#pieceLength(i) / this.#blockSize)
  }

  /**
   * Up to `max` new blocks to request from `peer`, which has `bits`. `only` restricts the pieces
   * (the allowed-fast set while the peer chokes us); `prefer` are tried first (suggestions);
   * new pieces start only while their lengths fit in `room` bytes (the piece buffers' bound; default
   * unlimited, 0 only continues pieces already started).
   *
   * `exclusive` is for a peer on parole (it sent part of a piece that failed its hash check): it
   * gets whole pieces of its own, no block of a piece another peer sends too, so a failure of one
   * of them proves it sent bad data (libtorrent's parole). No other peer gets blocks of those pieces
   * while it works on them; one it stops working on (choked us, left) restarts from scratch for others.
   */
  pick(
    peer: unknown,
    bits: PeerPieces | 'all',
    max: number,
    options: {
      only?: ReadonlySet<number>
      prefer?: readonly number[]
      room?: number
      exclusive?: boolean
    } = {},
  ): BlockRequest[] {
    const out: BlockRequest[] = []
    if (max <= 0) return out
    const has = this.#fetchable(bits, options.only)
    const parole = options.exclusive === true
    // 1. Finish partial pieces first (fewer pieces in memory, pieces shared sooner).
    for (const a of this.#active.values()) {
      if (out.length >= max) return out
      if (!has(a.index) || !this.#mayJoin(a, peer, parole)) continue
      this.#take(a, peer, max, out, false)
    }
    // 2. Start new pieces, as many as the caller's memory bound leaves room for.
    let room = options.room ?? Number.POSITIVE_INFINITY
    while (out.length < max && room > 0) {
      let next: number | undefined
      for (const p of options.prefer ?? []) {
        if (has(p) && !this.#active.has(p)) {
          next = p
          break
        }
      }
      next ??= this.#choose(has)
      if (next === undefined || this.#pieceLength(next) > room) break
      room -= this.#pieceLength(next)
      const a = this.#activate(next)
      if (parole) a.exclusive = peer
      this.#take(a, peer, max, out, false)
    }
    // 3. Endgame: duplicate blocks already requested from others (not for or from a peer on parole).
    if (out.length < max && !parole && this.endgame) this.#duplicate(peer, has, max, out)
    return out
  }

  /**
   * For a peer with nothing else to fetch, one block already requested from another peer (libtorrent's
   * busy block), or none: when every block it could get is held by others (the buffer bound lets no
   * piece start, or a stalled peer holds the rest), it races them for one, and the first copy wins.
   * Never of a piece a peer on parole downloads alone.
   */
  pickBusy(
    peer: unknown,
    bits: PeerPieces | 'all',
    options: { only?: ReadonlySet<number> } = {},
  ): BlockRequest[] {
    const out: BlockRequest[] = []
    this.#duplicate(peer, this.#fetchable(bits, options.only), 1, out)
    return out
  }

  /** Whether a peer with `bits` may be asked for piece `i` (restricted to `only` when given). */
  #fetchable(bits: PeerPieces | 'all', only: ReadonlySet<number> | undefined): (i: number) => boolean {
    return (i) =>
      (bits === 'all' || bits.get(i)) && (!only || only.has(i)) && this.#wanted.get(i) && !this.have.get(i)
  }

  /** Adds to `out`, up to `max`, blocks of active pieces `peer` has not asked for yet, requested or not. */
  #duplicate(peer: unknown, has: (i: number) => boolean, max: number, out: BlockRequest[]): void {
    for (const a of this.#active.values()) {
      if (out.length >= max) break
      if (has(a.index) && a.exclusive === undefined) this.#take(a, peer, max, out, true)
    }
  }

  /**
   * Whether `peer` may get blocks of active piece `a`: a peer on parole only of pieces it downloads
   * alone; others not of those, unless their parole peer stopped working on one (it then restarts).
   */
  #mayJoin(a: ActivePiece, peer: unknown, parole: boolean): boolean {
    // Complete and being hashed: restarting it would download it again (and count it twice).
    if (a.received === a.state.length) return false
    if (parole) {
      if (a.exclusive === peer) return true
      // A piece nobody works on becomes its own, from scratch (what others sent is discarded).
      if (a.exclusive !== undefined || a.owned > 0) return false
      this.#restart(a)
      a.exclusive = peer
      return true
    }
    if (a.exclusive === undefined || a.exclusive === peer) {
      a.exclusive = undefined
      return true
    }
    if (a.owned > 0) return false
    // Abandoned by its parole peer: what it sent is discarded, the piece starts over.
    this.#restart(a)
    a.exclusive = undefined
    return true
  }

  #restart(a: ActivePiece): void {
    if (a.received === 0) return
    a.state.fill(FREE)
    a.received = 0
    a.cursor = 0
  }

  /**
   * The next piece to start: highest priority first; within it, in order / rarest / at random. Ties
   * go to the first in a random order of all pieces drawn once (no random number per candidate), and
   * scans skip the verified prefix and stop at a candidate nothing can beat.
   */
  #choose(has: (i: number) => boolean): number | undefined {
    const urgent = this.#earliestDeadline(has)
    if (urgent !== undefined) return urgent
    const n = this.have.length
    const mode =
      this.#strategy === 'rarest' && this.have.count() < this.#randomFirst ? 'random' : this.#strategy
    const topPrio = this.#topPriority()
    let bestPrio = 0
    if (mode === 'sequential') {
      while (this.#seqStart < n && this.have.get(this.#seqStart)) this.#seqStart++
      let first: number | undefined
      for (let i = this.#seqStart; i < n; i++) {
        if (this.#priority[i]! > bestPrio && has(i) && !this.#active.has(i)) {
          first = i
          bestPrio = this.#priority[i]!
          if (bestPrio >= topPrio) break
        }
      }
      return first
    }
    const order = this.#randomOrder()
    while (this.#orderStart < n && this.have.get(order[this.#orderStart]!)) this.#orderStart++
    // No piece is rarer than the rarest of all (a candidate that rare and of top priority wins).
    const hist = this.#availHist
    let floor = 0
    while (floor < hist.length && !hist[floor]) floor++
    let best: number | undefined
    let bestAvail = Number.POSITIVE_INFINITY
    for (let k = this.#orderStart; k < n; k++) {
      const i = order[k]!
      const prio = this.#priority[i]!
      if (prio < bestPrio || (prio === bestPrio && mode === 'random')) continue
      const avail = mode === 'random' ? 0 : this.#availability[i]!
      if (prio === bestPrio && avail >= bestAvail) continue
      if (!has(i) || this.#active.has(i)) continue
      bestPrio = prio
      bestAvail = avail
      best = i
      if (prio >= topPrio && (mode === 'random' || avail <= floor)) break
    }
    return best
  }

  /** The startable piece with the earliest deadline, if any. */
  #earliestDeadline(has: (i: number) => boolean): number | undefined {
    let best: number | undefined
    let bestAt = Number.POSITIVE_INFINITY
    for (const [i, owners] of this.#deadlines) {
      if (!has(i) || this.#active.has(i)) continue
      for (const at of owners.values()) {
        if (at < bestAt) {
          bestAt = at
          best = i
        }
      }
    }
    return best
  }

  #topPriority(): number {
    if (this.#maxPriority === undefined) {
      let m = 0
      for (const p of this.#priority) if (p > m) m = p
      this.#maxPriority = m
    }
    return this.#maxPriority
  }

  #randomOrder(): Uint32Array {
    if (!this.#order) {
      const n = this.have.length
      const order = new Uint32Array(n)
      for (let i = 0; i < n; i++) order[i] = i
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1))
        const t = order[i]!
        order[i] = order[j]!
        order[j] = t
      }
      this.#order = order
    }
    return this.#order
  }

  #activate(index: number): ActivePiece {
    const a: ActivePiece = {
      cursor: 0,
      index,
      state: new Uint8Array(this.blocksIn(index)),
      owners: new Array(this.blocksIn(index)),
      owned: 0,
      received: 0,
    }
    this.#active.set(index, a)
    return a
  }

  #take(a: ActivePiece, peer: unknown, max: number, out: BlockRequest[], duplicate: boolean): void {
    const len = this.#pieceLength(a.index)
    if (!duplicate) while (a.cursor < a.state.length && a.state[a.cursor] !== FREE) a.cursor++
    for (let b = duplicate ? 0 : a.cursor; b < a.state.length && out.length < max; b++) {
      const s = a.state[b]!
      if (s === RECEIVED) continue
      if (s === REQUESTED && (!duplicate || ownedBy(a.owners[b], peer))) continue
      a.state[b] = REQUESTED
      const owners = a.owners[b]
      if (owners === undefined) {
        a.owners[b] = peer
        a.owned++
      } else if (owners instanceof Owners) owners.set.add(peer)
      else if (owners !== peer) a.owners[b] = new Owners(owners, peer)
      this.#owe(peer, 1)
      const begin = b * this.#blockSize
      out.push({ index: a.index, begin, length: Math.min(this.#blockSize, len - begin) })
    }
  }

  /** Whether `peer` has an outstanding request for this block. */
  isRequested(peer: unknown, index: number, begin: number): boolean {
    const a = this.#active.get(index)
    const b = begin / this.#blockSize
    return a !== undefined && Number.isInteger(b) && b < a.owners.length && ownedBy(a.owners[b], peer)
  }

  /** Counts `delta` blocks more (or fewer) that `peer` owes; a peer owing none leaves the map. */
  #owe(peer: unknown, delta: number): void {
    const n = (this.#outstanding.get(peer) ?? 0) + delta
    if (n > 0) this.#outstanding.set(peer, n)
    else this.#outstanding.delete(peer)
  }

  /** A block arrived from `peer`. */
  received(peer: unknown, index: number, begin: number, length: number): BlockArrival {
    const a = this.#active.get(index)
    const b = begin / this.#blockSize
    if (!a || !Number.isInteger(b) || b >= a.state.length) return REFUSED
    const expectLen = Math.min(this.#blockSize, this.#pieceLength(index) - begin)
    if (length !== expectLen || a.state[b] === RECEIVED) {
      this.#release(peer, a, b)
      return REFUSED
    }
    a.state[b] = RECEIVED
    a.received++
    const owners = a.owners[b]
    let cancel = NO_PEERS
    if (owners !== undefined) {
      a.owners[b] = undefined
      a.owned--
      if (owners instanceof Owners) {
        cancel = []
        for (const o of owners.set) {
          this.#owe(o, -1)
          if (o !== peer) cancel.push(o)
        }
      } else {
        this.#owe(owners, -1)
        if (owners !== peer) cancel = [owners]
      }
    }
    return { accepted: true, cancel, pieceComplete: a.received === a.state.length, first: a.received === 1 }
  }

  #release(peer: unknown, a: ActivePiece, b: number): void {
    const owners = a.owners[b]
    let empty: boolean
    if (owners instanceof Owners) {
      if (!owners.set.delete(peer)) return
      empty = owners.set.size === 0
      if (owners.set.size === 1) a.owners[b] = owners.set.values().next().value
    } else {
      if (owners === undefined || owners !== peer) return
      empty = true
    }
    this.#owe(peer, -1)
    if (empty) {
      a.owners[b] = undefined
      a.owned--
      if (a.state[b] === REQUESTED) {
        a.state[b] = FREE
        if (b < a.cursor) a.cursor = b
      }
    }
  }

  /** The peer rejected (or will not send) one block: it goes back to the pool. */
  release(peer: unknown, index: number, begin: number): void {
    const a = this.#active.get(index)
    if (a) this.#release(peer, a, begin / this.#blockSize)
  }

  /** The peer choked us or left: every block it owed goes back to the pool. Returns how many. */
  releaseAll(peer: unknown): BlockRequest[] {
    const out: BlockRequest[] = []
    if (this.#outstanding.has(peer)) {
      for (const a of this.#active.values()) {
        for (let b = 0; b < a.owners.length; b++) {
          if (!ownedBy(a.owners[b], peer)) continue
          this.#release(peer, a, b)
          const begin = b * this.#blockSize
          out.push({
            index: a.index,
            begin,
            length: Math.min(this.#blockSize, this.#pieceLength(a.index) - begin),
          })
        }
      }
      this.#outstanding.delete(peer)
    }
    // Drop pieces nobody works on and nothing arrived for, so their choice is made afresh.
    for (const a of [...this.#active.values()]) {
      if (a.received === 0 && a.owned === 0) this.#active.delete(a.index)
    }
    return out
  }

  /** Piece `index` passed its hash check. */
  verified(index: number): void {
    this.#drop(index)
    this.#deadlines.delete(index)
    this.have.set(index)
  }

  /** Piece `index`, verified before, is no longer good on disk (a recheck): it is wanted again. */
  lost(index: number): void {
    this.have.set(index, false)
    this.#seqStart = Math.min(this.#seqStart, index)
    this.#orderStart = 0
  }

  /**
   * Piece `index` failed its hash check (or is dropped as suspect): every block is requested again.
   * Returns the requests still open for it, by peer, for the caller to cancel on the wire before the
   * piece's buffer is reused.
   */
  failed(index: number): { peer: unknown; request: BlockRequest }[] {
    return this.#drop(index)
  }

  /** Whether piece `index` is being downloaded. */
  isActive(index: number): boolean {
    return this.#active.has(index)
  }

  #drop(index: number): { peer: unknown; request: BlockRequest }[] {
    const open: { peer: unknown; request: BlockRequest }[] = []
    const a = this.#active.get(index)
    if (!a) return open
    const len = this.#pieceLength(index)
    for (let b = 0; b < a.owners.length; b++) {
      const owners = a.owners[b]
      if (owners === undefined) continue
      const begin = b * this.#blockSize
      const request = { index, begin, length: Math.min(this.#blockSize, len - begin) }
      for (const o of owners instanceof Owners ? owners.set : [owners]) {
        this.#owe(o, -1)
        open.push({ peer: o, request })
      }
    }
    this.#active.delete(index)
    return open
  }
}

/** @internal Seconds of transfer a peer's request queue should cover (libtorrent's `request_queue_time` is 3). */
export const REQUEST_QUEUE_SECONDS = 3
/** @internal Smallest request pipeline per peer. */
export const MIN_PIPELINE = 16
/** @internal Largest request pipeline per peer (blocks). */
export const MAX_PIPELINE = 500

/**
 * @internal Outstanding requests to keep with a peer that sends `rate` bytes/s: enough blocks to cover
 * {@link REQUEST_QUEUE_SECONDS} of transfer, clamped to [min, max] (as libtorrent sizes its queue).
 */
export function pipelineDepth(
  rate: number,
  options: { blockSize?: number; seconds?: number; min?: number; max?: number } = {},
): number {
  const block = options.blockSize ?? BLOCK_SIZE
  const want = Math.ceil((Math.max(0, rate) * (options.seconds ?? REQUEST_QUEUE_SECONDS)) / block)
  return Math.min(options.max ?? MAX_PIPELINE, Math.max(options.min ?? MIN_PIPELINE, want))
}

function ownedBy(owners: BlockOwners, peer: unknown): boolean {
  return owners === peer || (owners instanceof Owners && owners.set.has(peer))
}
