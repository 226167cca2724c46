import type { PeerWireError } from './errors.js'
import { IntTable } from './int-table.js'
import type { BlockRequest } from './messages.js'

/**
 * Called once when a block request ends: with the block (the request's `into` buffer when it had
 * one), or with the error that ended it. `request` is the request (do not keep it).
 */
export type BlockCallback = (
  err: PeerWireError | undefined,
  block: Uint8Array | undefined,
  request: BlockRequest,
) => void

/**
 * Map key of a block. The usual block (16 KiB-aligned, piece index below 2^20, piece up to 16 MiB) gets
 * a small integer, which V8 keeps unboxed and hashes fastest; anything else gets a string.
 */
export type BlockKey = number | string

/** The key of block (`index`, `begin`). */
export const blockKey = (index: number, begin: number): BlockKey =>
  (begin & 0x3fff) === 0 && begin < 0x1000000 && index < 0x100000
    ? index * 1024 + begin / 16384
    : `${index}:${begin}`

/** `index:begin` of a key, for messages. */
export const keyText = (key: BlockKey): string =>
  typeof key === 'number' ? `${Math.floor(key / 1024)}:${(key % 1024) * 16384}` : key

/** One of our requests waiting for its block. */
export interface PendingRequest extends BlockRequest {
  /** Settles the request (exactly once). */
  done: BlockCallback
  deadline: number
  /** Cancelled or timed out, kept until the peer's answer so a late piece is not "unrequested" (BEP 6). */
  dead: boolean
  cleanup: (() => void) | undefined
  /** Where the block is copied as it arrives (the caller's buffer), while the request is live. */
  into: Uint8Array | undefined
}

/** Ended requests kept for reuse, at most (a full pipeline's worth). */
const MAX_FREE = 512

const noop: BlockCallback = () => {}

/**
 * Our outstanding block requests. Under the fast extension every request gets exactly one answer
 * (piece or reject, BEP 6), so a cancelled or timed-out request stays as a "dead" entry until that
 * answer or a second timeout; dead entries do not count as outstanding.
 */
export class BlockRequests {
  /**
   * Requests by key: the usual (numeric) keys in a table that reuses its memory (a `Map` allocated a
   * new hash table every few hundred requests, see {@link IntTable}), the others in a `Map`.
   */
  readonly #table = new IntTable<PendingRequest>()
  readonly #odd = new Map<string, PendingRequest>()
  #dead = 0
  /**
   * Ended requests whose callback returned, reused by {@link BlockRequests.create}: a request lives
   * for a round trip, long enough to outlive a young-generation GC, so fresh objects per block would
   * end up in the old generation (a larger heap between full GCs).
   */
  readonly #free: PendingRequest[] = []
  readonly #onRelease: ((into: Uint8Array) => void) | undefined

  /** @param onRelease called with a request's `into` buffer once the request is no longer live */
  constructor(onRelease?: (into: Uint8Array) => void) {
    this.#onRelease = onRelease
  }

  /** Live requests. */
  get outstanding(): number {
    return this.#table.size + this.#odd.size - this.#dead
  }

  get(key: BlockKey): PendingRequest | undefined {
    return typeof key === 'number' ? this.#table.get(key) : this.#odd.get(key)
  }

  /** A live request record (a reused one when there is), to {@link BlockRequests.add}. */
  create(
    index: number,
    begin: number,
    length: number,
    done: BlockCallback,
    deadline: number,
    into: Uint8Array | undefined,
  ): PendingRequest {
    const p = this.#free.pop()
    if (!p) return { index, begin, length, done, deadline, dead: false, cleanup: undefined, into }
    p.index = index
    p.begin = begin
    p.length = length
    p.done = done
    p.deadline = deadline
    p.dead = false
    p.into = into
    return p
  }

  /**
   * Takes back a request that is no longer in the map and whose callback has returned; nothing may
   * use it afterwards.
   */
  recycle(p: PendingRequest): void {
    if (this.#free.length >= MAX_FREE) return
    p.done = noop
    p.into = undefined
    p.cleanup = undefined
    this.#free.push(p)
  }

  /** Adds a request; a dead entry for the same block is replaced (its late answer serves the new one). */
  add(key: BlockKey, p: PendingRequest): void {
    const old = this.get(key)
    if (old) {
      this.drop(key, old)
      // A dead entry's callback ran when it died.
      if (old.dead) this.recycle(old)
    }
    if (typeof key === 'number') this.#table.set(key, p)
    else this.#odd.set(key, p)
  }

  /** Removes a request (answered, dropped or expired). */
  drop(key: BlockKey, p: PendingRequest): void {
    if (this.get(key) !== p) return
    this.#delete(key)
    if (p.dead) this.#dead--
    else if (p.into) this.#onRelease?.(p.into)
    p.cleanup?.()
  }

  /**
   * Fails a live request with `err`; with `keepUntil` it stays as a dead entry until then.
   * Returns false when it was not live.
   */
  kill(key: BlockKey, p: PendingRequest, err: PeerWireError, keepUntil?: number): boolean {
    if (p.dead || this.get(key) !== p) return false
    if (p.into) this.#onRelease?.(p.into)
    p.cleanup?.()
    if (keepUntil === undefined) this.#delete(key)
    else {
      p.dead = true
      this.#dead++
      p.deadline = keepUntil
    }
    p.done(err, undefined, p)
    return true
  }

  /** Every entry, live and dead. */
  *entries(): Generator<[BlockKey, PendingRequest], void, undefined> {
    yield* this.#table.entries()
    yield* this.#odd.entries()
  }

  /** Fails every live request and forgets all. */
  clear(reason: PeerWireError): void {
    for (const [, p] of this.entries()) {
      p.cleanup?.()
      if (!p.dead) {
        if (p.into) this.#onRelease?.(p.into)
        p.done(reason, undefined, p)
      }
    }
    this.#table.clear()
    this.#odd.clear()
    this.#dead = 0
  }

  #delete(key: BlockKey): void {
    if (typeof key === 'number') this.#table.delete(key)
    else this.#odd.delete(key)
  }
}
