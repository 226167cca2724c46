import type { PieceSpec } from '@p2p/metainfo'
import { PieceBufferPool } from './piece-buffer-pool.js'
import { BLOCK_SIZE } from './piece-picker.js'

/** An unfinished piece being received (internal). */
export interface PieceBuffer<P = unknown> {
  readonly data: Uint8Array
  /** Peers that sent blocks of it (since its last restart); {@link PieceStore.put} records them. */
  readonly from: ReadonlySet<P>
}

/** The store's own record of a buffer: the senders are written here only. */
interface Receiving<P> extends PieceBuffer<P> {
  readonly from: Set<P>
}

/**
 * The only owner of the memory of unfinished pieces: the buffers pieces are assembled in, the pool they
 * come from and the bytes they count against `maxBufferedBytes`. A buffer exists only while its piece
 * is active in the picker (receiving) or taken for writing and hashing (verifying); {@link reclaim}
 * drops the others, so a piece the picker let go (a choke, a disconnect before its first block) never
 * keeps memory, nor the budget that starting new pieces needs (internal).
 */
export class PieceStore<P = unknown> {
  readonly #specs: readonly PieceSpec[]
  readonly #max: number
  /** The longest piece (one piece always fits, even one longer than the bound). */
  readonly #largest: number
  readonly #receiving = new Map<number, Receiving<P>>()
  /** Pieces taken for writing and hashing, with the bytes each still counts. */
  readonly #verifying = new Map<number, number>()
  #pool: PieceBufferPool | undefined
  #buffered = 0
  /**
   * Per pool buffer, its block views, made once: a view lives as long as its request (a round trip,
   * long enough to reach V8's old generation), so a fresh one per block would grow the heap.
   */
  readonly #views = new WeakMap<Uint8Array, Uint8Array[]>()

  constructor(specs: readonly PieceSpec[], maxBufferedBytes: number) {
    this.#specs = specs
    this.#max = maxBufferedBytes
    let largest = 0
    for (const spec of specs) largest = Math.max(largest, spec.length)
    this.#largest = largest
  }

  /** Bytes of unfinished pieces held in memory (receiving, writing or hashing). */
  get buffered(): number {
    return this.#buffered
  }

  /**
   * Bytes new pieces may take now: what the bound leaves, or a whole piece while nothing is buffered
   * (a piece longer than the bound then still starts, alone). A piece started must get its buffer at
   * once ({@link bufferFor}), so that the next caller's room counts it.
   */
  get room(): number {
    return this.#buffered === 0 ? Math.max(this.#max, this.#largest) : this.#max - this.#buffered
  }

  /** The buffer piece `index` is received into, if it has one. */
  get(index: number): PieceBuffer<P> | undefined {
    return this.#receiving.get(index)
  }

  /**
   * Puts a block `peer` sent at `begin` of piece `index` into its buffer (created when needed; a block
   * received in place, into its {@link blockView}, is not copied again) and counts `peer` among the
   * piece's senders (`undefined`: not a peer, a web seed). `restart`: the piece starts over and owes
   * nothing to its earlier senders.
   */
  put(index: number, begin: number, data: Uint8Array, peer: P | undefined, restart: boolean): void {
    const buf = this.#bufferFor(index)
    if (data.buffer !== buf.data.buffer || data.byteOffset !== buf.data.byteOffset + begin) {
      buf.data.set(data, begin)
    }
    if (restart) buf.from.clear()
    if (peer !== undefined) buf.from.add(peer)
  }

  /** The buffer piece `index` is received into, created when needed. */
  bufferFor(index: number): PieceBuffer<P> {
    return this.#bufferFor(index)
  }

  #bufferFor(index: number): Receiving<P> {
    let buf = this.#receiving.get(index)
    if (!buf) {
      const length = this.#specs[index]!.length
      this.#pool ??= new PieceBufferPool(this.#max)
      this.#buffered += length
      // Contents unspecified: every byte is overwritten by a block before the piece is written or hashed.
      buf = { data: this.#pool.take(length), from: new Set() }
      this.#receiving.set(index, buf)
    }
    return buf
  }

  /**
   * The view of bytes `begin..begin + length` of piece `index`'s buffer (created when needed) that a
   * block is received into. Block-aligned views are made once per pool buffer and handed out again.
   */
  blockView(index: number, begin: number, length: number): Uint8Array {
    const data = this.bufferFor(index).data
    let views = this.#views.get(data)
    if (!views) {
      views = []
      this.#views.set(data, views)
    }
    const slot = begin % BLOCK_SIZE === 0 ? begin / BLOCK_SIZE : -1
    const cached = slot >= 0 ? views[slot] : undefined
    if (cached?.length === length) return cached
    const view = data.subarray(begin, begin + length)
    if (slot >= 0) views[slot] = view
    return view
  }

  /** Takes a complete piece's buffer for writing and hashing; it counts until {@link settle}. */
  take(index: number): PieceBuffer<P> | undefined {
    const buf = this.#receiving.get(index)
    if (!buf) return undefined
    this.#receiving.delete(index)
    this.#verifying.set(index, this.#specs[index]!.length)
    return buf
  }

  /**
   * A taken piece is written and hashed (or given up): its bytes stop counting, and `data` goes back
   * to the pool unless it was detached (moved to a hash worker). Idempotent.
   */
  settle(index: number, data?: Uint8Array): void {
    const held = this.#verifying.get(index)
    if (held === undefined) return
    this.#verifying.delete(index)
    this.#buffered -= held
    if (data && data.byteLength > 0) this.#pool?.give(data)
  }

  /** Drops the buffer piece `index` is received into (the piece is restarted or abandoned). */
  drop(index: number): void {
    const buf = this.#receiving.get(index)
    if (!buf) return
    this.#receiving.delete(index)
    this.#buffered -= this.#specs[index]!.length
    this.#pool?.give(buf.data)
  }

  /** Drops the buffers of pieces no longer active (after the picker released a peer's blocks). */
  reclaim(isActive: (index: number) => boolean): void {
    for (const index of [...this.#receiving.keys()]) if (!isActive(index)) this.drop(index)
  }

  /** Drops every unfinished piece `peer` sent part of (it was banned: they are suspect); returns them. */
  dropFrom(peer: P): number[] {
    const out: number[] = []
    for (const [index, buf] of [...this.#receiving]) {
      if (!buf.from.has(peer)) continue
      this.drop(index)
      out.push(index)
    }
    return out
  }

  /** The piece whose live buffer holds the bytes of `view`, if any (for consistency checks). */
  holder(view: Uint8Array): number | undefined {
    for (const [index, buf] of this.#receiving) {
      const d = buf.data
      if (view.buffer !== d.buffer) continue
      if (view.byteOffset >= d.byteOffset && view.byteOffset < d.byteOffset + d.byteLength) return index
    }
    return undefined
  }

  /** The download is over: the pool's memory goes (a later download makes a new one). */
  release(): void {
    this.#pool = undefined
  }

  /**
   * Why the store is inconsistent with the picker, or undefined: a buffer of a piece neither active nor
   * verifying, buffered bytes that are not the sum of the live buffers, or more of them than the bound
   * (unless a single piece is held).
   */
  violation(isActive: (index: number) => boolean): string | undefined {
    let sum = 0
    for (const [index, buf] of this.#receiving) {
      if (!isActive(index)) return `piece ${index} has a buffer but is not active`
      if (this.#verifying.has(index)) return `piece ${index} is both receiving and verifying`
      if (buf.data.byteLength !== this.#specs[index]!.length)
        return `piece ${index} has a buffer of another size`
      sum += buf.data.byteLength
    }
    for (const held of this.#verifying.values()) sum += held
    if (sum !== this.#buffered) return `buffered bytes ${this.#buffered} != ${sum} held by live buffers`
    if (sum > this.#max && this.#receiving.size + this.#verifying.size > 1)
      return `buffered bytes ${sum} above the bound of ${this.#max}`
    return undefined
  }
}
