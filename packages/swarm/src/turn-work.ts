import { MarkQueue } from './mark-queue.js'

/** @internal How {@link TurnWork} applies what events asked for. */
export interface TurnHandlers<P> {
  /** Tells every peer of pieces verified since the last flush. */
  announce(pieces: readonly number[]): void
  /** Sends (not) interested to `peer` as its pieces and ours now stand. */
  interest(peer: P): void
  /** Tops up `peer`'s requests. */
  topUp(peer: P): void
  /** Every connected peer (for a top-up of all). */
  peers(): Iterable<P>
  /** Unchokes interested peers into free upload slots. */
  unchoke(): void
}

/**
 * @internal Work that events ask for, marked dirty and applied once per I/O turn instead of once per
 * event: `have` broadcasts, interest updates, request top-ups and spare unchokes (in that order, so
 * a peer hears of our new pieces before it may lose our interest, and interest is settled before
 * requests). A read that carries a hundred blocks then tops up the pipeline once, not a hundred
 * times. What must not wait (cancels of released requests) is done by the caller at once.
 *
 * `defer` runs the flush after the current turn (a microtask by default; a simulator's runtime
 * passes its own so that runs stay deterministic).
 */
export class TurnWork<P> {
  readonly #defer: (fn: () => void) => void
  readonly #handlers: TurnHandlers<P>
  readonly #flush = () => this.flush()
  #queued = false
  #have: number[] = []
  readonly #interest = new MarkQueue<P>()
  readonly #topUp = new MarkQueue<P>()
  #topUpAll = false
  #unchoke = false

  constructor(defer: (fn: () => void) => void, handlers: TurnHandlers<P>) {
    this.#defer = defer
    this.#handlers = handlers
  }

  /** Piece `index` was verified: tell every peer. */
  have(index: number): void {
    this.#have.push(index)
    this.#schedule()
  }

  /** What `peer` has or what we have changed: update our interest in it (and its requests). */
  interest(peer: P): void {
    this.#interest.add(peer)
    this.#schedule()
  }

  /** Our interest in every peer may have changed. */
  interestAll(): void {
    this.#interest.addAll(this.#handlers.peers())
    this.#schedule()
  }

  /** `peer` may take more requests. */
  topUp(peer: P): void {
    this.#topUp.add(peer)
    this.#schedule()
  }

  /** Every peer may take more requests (pieces to fetch again, a piece fewer in memory...). */
  topUpAll(): void {
    this.#topUpAll = true
    this.#schedule()
  }

  /** Upload slots may be free. */
  unchoke(): void {
    this.#unchoke = true
    this.#schedule()
  }

  /** Applies everything marked so far (work marked meanwhile is applied too). */
  flush(): void {
    // Queued stays set while flushing: marks made by the handlers are taken by the loops below.
    this.#queued = true
    try {
      const h = this.#handlers
      if (this.#have.length > 0) {
        const pieces = this.#have
        this.#have = []
        h.announce(pieces)
      }
      // Taken as visited: a peer marked again by a handler is visited again.
      for (let p = this.#interest.take(); p !== undefined; p = this.#interest.take()) h.interest(p)
      if (this.#topUpAll) {
        this.#topUpAll = false
        this.#topUp.clear()
        for (const p of h.peers()) h.topUp(p)
      }
      for (let p = this.#topUp.take(); p !== undefined; p = this.#topUp.take()) h.topUp(p)
      if (this.#unchoke) {
        this.#unchoke = false
        h.unchoke()
      }
    } finally {
      this.#queued = false
      if (this.#pending()) this.#schedule()
    }
  }

  #pending(): boolean {
    return (
      this.#have.length > 0 ||
      this.#interest.size > 0 ||
      this.#topUp.size > 0 ||
      this.#topUpAll ||
      this.#unchoke
    )
  }

  #schedule(): void {
    if (this.#queued) return
    this.#queued = true
    this.#defer(this.#flush)
  }
}
